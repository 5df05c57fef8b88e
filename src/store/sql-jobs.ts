/**
 * The job methods of the SQL stores (DESIGN.md §7), one Kysely code path for both dialects but
 * the worker's hot statements: launching (sql-job-launch.ts), claiming (sql-job-claim.ts) and
 * ending attempts (sql-job-finish.ts; SQLite's both in sqlite-jobs.ts, prepared once on
 * better-sqlite3) and the reads (sql-job-reads.ts) in their own files; leases, cancels, reclaims,
 * recorded actions and sweeps here. Every state change is one conditional `UPDATE … RETURNING`, so two processes racing
 * for a job (claim, reclaim, finish) cannot both win.
 */
import type BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";
import { sqlClaimJobs } from "./sql-job-claim.js";
import { sqlFinishMethods } from "./sql-job-finish.js";
import { sqlLaunchMethods } from "./sql-job-launch.js";
import { sqlJobReads } from "./sql-job-reads.js";
import {
  actionFromRow,
  bool,
  FINISHED_ROW,
  type JobNotifier,
  jobFromRow,
  type Op,
} from "./sql-job-rows.js";
import { sqliteJobMethods } from "./sqlite-jobs.js";
import type { JobMethods } from "./types.js";

export type { JobNotifier } from "./sql-job-rows.js";

export function sqlJobMethods(
  kind: "sqlite" | "postgres",
  op: Op,
  notifier: JobNotifier,
  /** SQLite: the better-sqlite3 database, for the claims and outcome writes (sqlite-jobs.ts). */
  sqliteDatabase?: () => BetterSqlite3.Database,
): JobMethods {
  const getJob = (db: Kysely<Database>, id: string) =>
    db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
  // The worker's claims and outcome writes: SQLite's prepared once on better-sqlite3
  // (sqlite-jobs.ts), PostgreSQL's one statement each with its wake-up selected in it.
  let hot: Pick<JobMethods, "claimJobs" | "finishJobs" | "finishAndClaimJobs">;
  if (kind === "sqlite") {
    if (!sqliteDatabase) throw new TypeError("SQLite job methods need the better-sqlite3 database");
    hot = sqliteJobMethods(op, sqliteDatabase, notifier);
  } else {
    if (!notifier.expression)
      throw new TypeError("PostgreSQL job methods need a notify expression");
    hot = { claimJobs: sqlClaimJobs(op), ...sqlFinishMethods(op, notifier.expression) };
  }
  const { finishJobs, finishAndClaimJobs } = hot;

  return {
    ...sqlLaunchMethods(op, notifier),
    ...sqlJobReads(op),
    claimJobs: hot.claimJobs,

    renewJobLease: (id, worker, leaseMs, now) =>
      op(async (db) => {
        const row = await db
          .updateTable("jobs")
          .set({ lease_expires_at: now + leaseMs, updated_at: now })
          .where("id", "=", id)
          .where("status", "=", "running")
          .where("locked_by", "=", worker)
          .returning("cancel_requested")
          .executeTakeFirst();
        return row
          ? { held: true, cancelRequested: bool(row.cancel_requested) }
          : { held: false, cancelRequested: false };
      }),

    setJobProgress: (id, worker, progress, message, now) =>
      op(async (db) => {
        const result = await db
          .updateTable("jobs")
          .set({ progress, progress_message: message, updated_at: now })
          .where("id", "=", id)
          .where("status", "=", "running")
          .where("locked_by", "=", worker)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    finishJob: async (id, worker, outcome, now) =>
      (await finishJobs(worker, [{ id, outcome }], now))[0] ?? null,

    finishJobs,
    finishAndClaimJobs,

    cancelJob: (id, reason, now) =>
      op(async (db) => {
        const cancelled = await db
          .updateTable("jobs")
          .set({ status: "cancelled", error: reason, finished_at: now, updated_at: now })
          .where("id", "=", id)
          .where("status", "=", "pending")
          .returningAll()
          .executeTakeFirst();
        if (cancelled) return jobFromRow(cancelled);
        const flagged = await db
          .updateTable("jobs")
          .set({ cancel_requested: 1, error: reason, updated_at: now })
          .where("id", "=", id)
          .where("status", "=", "running")
          .returningAll()
          .executeTakeFirst();
        if (flagged) return jobFromRow(flagged);
        const row = await getJob(db, id);
        return row ? jobFromRow(row) : null;
      }),

    reclaimJobs: (now) =>
      op(async (db) => {
        const lost = sql<string>`'lease expired: worker ' || coalesce(locked_by, '?') || ' stopped renewing it'`;
        const rows = await db
          .updateTable("jobs")
          .set({
            status: sql<string>`case when cancel_requested then 'cancelled' when attempts >= max_attempts then 'failed' else 'pending' end`,
            error: sql<string>`case when cancel_requested then error else ${lost} end`,
            finished_at: sql<
              number | null
            >`case when cancel_requested or attempts >= max_attempts then cast(${now} as bigint) else null end`,
            run_at: now,
            locked_by: null,
            lease_expires_at: null,
            updated_at: now,
          })
          .where("status", "=", "running")
          .where("lease_expires_at", "<=", now)
          .returningAll()
          .execute();
        return rows.map(jobFromRow);
      }),

    addJobAction: (action) =>
      op(async (db) => {
        const row = await db
          .insertInto("job_actions")
          .values({
            job_id: action.jobId,
            daemon: action.daemon,
            action: action.action,
            reason: action.reason,
            at: action.at,
            node_id: action.node,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return actionFromRow(row);
      }),

    sweepJobs: (before) =>
      op(async (db) =>
        db.transaction().execute(async (trx) => {
          const old = (eb: Kysely<Database>) =>
            eb
              .selectFrom("jobs")
              .select("id")
              .where(FINISHED_ROW)
              .where("finished_at", "<", before);
          await trx.deleteFrom("job_actions").where("job_id", "in", old(trx)).execute();
          const result = await trx
            .deleteFrom("jobs")
            .where(FINISHED_ROW)
            .where("finished_at", "<", before)
            .executeTakeFirst();
          return Number(result.numDeletedRows);
        }),
      ),
  };
}
