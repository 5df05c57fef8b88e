import { type Kysely, type Selectable, sql } from "kysely";
import type { JobActionKind, JobActionRecord, JobRecord, JobStatus } from "../spec/types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";

type JobMethods = Pick<
  Store,
  | "insertJob"
  | "getJob"
  | "listJobs"
  | "countJobs"
  | "claimJobs"
  | "renewJobLease"
  | "setJobProgress"
  | "finishJob"
  | "cancelJob"
  | "reclaimJobs"
  | "addJobAction"
  | "listJobActions"
  | "sweepJobs"
>;

type Op = <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

const FINISHED: JobStatus[] = ["completed", "failed", "cancelled"];
const LIVE: JobStatus[] = ["pending", "running"];
const DEDUP_RETRIES = 5;

const asList = <T>(value: T | readonly T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? [...value] : [value as T];

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const bool = (value: unknown): boolean => value === true || value === 1 || value === "1";

export function jobFromRow(r: Selectable<Database["jobs"]>): JobRecord {
  return {
    id: r.id,
    type: r.type,
    status: r.status as JobStatus,
    payload: fromJson(r.payload),
    result: fromJson(r.result),
    error: r.error,
    priority: num(r.priority),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    runAt: num(r.run_at),
    dedupKey: r.dedup_key,
    progress: num(r.progress),
    progressMessage: r.progress_message,
    launchedBy: r.launched_by,
    reason: r.reason,
    lockedBy: r.locked_by,
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    cancelRequested: bool(r.cancel_requested),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    startedAt: numOrNull(r.started_at),
    finishedAt: numOrNull(r.finished_at),
  };
}

function actionFromRow(r: Selectable<Database["job_actions"]>): JobActionRecord {
  return {
    id: num(r.id),
    jobId: r.job_id,
    daemon: r.daemon,
    action: r.action as JobActionKind,
    reason: r.reason,
    at: num(r.at),
    node: r.node_id,
  };
}

/**
 * The job methods of the SQL stores (DESIGN.md §7), one Kysely code path for both dialects. Every
 * state change is one conditional `UPDATE … RETURNING`, so two processes racing for a job (claim,
 * reclaim, finish) cannot both win. PostgreSQL's claim adds `FOR UPDATE SKIP LOCKED` to the inner
 * select, so concurrent claimers skip each other's rows instead of waiting on them.
 */
export function sqlJobMethods(kind: "sqlite" | "postgres", op: Op): JobMethods {
  const getJob = (db: Kysely<Database>, id: string) =>
    db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();

  return {
    insertJob: (job) =>
      op(async (db) => {
        for (let attempt = 0; attempt < DEDUP_RETRIES; attempt++) {
          const inserted = await db
            .insertInto("jobs")
            .values({
              id: job.id,
              type: job.type,
              status: "pending",
              payload: toJson(job.payload),
              priority: job.priority,
              attempts: 0,
              max_attempts: job.maxAttempts,
              run_at: job.runAt,
              dedup_key: job.dedupKey,
              progress: 0,
              launched_by: job.launchedBy,
              reason: job.reason,
              created_at: job.now,
              updated_at: job.now,
            })
            // The partial unique index on live dedup keys is the only conflict a fresh id can hit.
            .onConflict((oc) => oc.doNothing())
            .returningAll()
            .executeTakeFirst();
          if (inserted) return { job: jobFromRow(inserted), created: true };
          if (job.dedupKey === null) {
            const same = await getJob(db, job.id);
            if (same) return { job: jobFromRow(same), created: false };
            continue;
          }
          const live = await db
            .selectFrom("jobs")
            .selectAll()
            .where("dedup_key", "=", job.dedupKey)
            .where("status", "in", LIVE)
            .executeTakeFirst();
          if (live) return { job: jobFromRow(live), created: false };
          // The live job finished in between: its key is free again, try once more.
        }
        throw new Error(
          `could not insert job ${job.id} (dedup key ${job.dedupKey}): too much churn`,
        );
      }),

    getJob: (id) =>
      op(async (db) => {
        const row = await getJob(db, id);
        return row ? jobFromRow(row) : null;
      }),

    listJobs: (query = {}) =>
      op(async (db) => {
        let q = db.selectFrom("jobs").selectAll();
        const statuses = asList(query.status);
        if (statuses) q = q.where("status", "in", statuses.length > 0 ? statuses : ["-"]);
        const types = asList(query.type);
        if (types) q = q.where("type", "in", types.length > 0 ? types : ["-"]);
        if (query.launchedBy !== undefined) q = q.where("launched_by", "=", query.launchedBy);
        if (query.ids) q = q.where("id", "in", query.ids.length > 0 ? [...query.ids] : ["-"]);
        const order = query.order ?? "desc";
        const rows = await q
          .orderBy("created_at", order)
          .orderBy("id", order)
          .limit(query.limit ?? 100)
          .execute();
        return rows.map(jobFromRow);
      }),

    countJobs: () =>
      op(async (db) => {
        const rows = await db
          .selectFrom("jobs")
          .select(["type", "status", (eb) => eb.fn.countAll().as("count")])
          .groupBy(["type", "status"])
          .execute();
        const out: Record<string, Partial<Record<JobStatus, number>>> = {};
        for (const r of rows) {
          const byStatus = out[r.type] ?? {};
          byStatus[r.status as JobStatus] = num(r.count);
          out[r.type] = byStatus;
        }
        return out;
      }),

    claimJobs: ({ slots, worker, leaseMs, now }) =>
      op(async (db) => {
        const claimed: JobRecord[] = [];
        for (const [type, free] of Object.entries(slots)) {
          if (!(free > 0)) continue;
          const limit = Math.floor(free);
          let rows: Selectable<Database["jobs"]>[];
          if (kind === "postgres") {
            // The picked ids are materialized once: an `IN (SELECT … LIMIT n FOR UPDATE SKIP
            // LOCKED)` subquery may be re-run under concurrent updates and claim more than n.
            const result = await sql<Selectable<Database["jobs"]>>`
              with due as materialized (
                select id from jobs
                where status = 'pending' and type = ${type} and run_at <= ${now}
                order by priority desc, run_at, created_at
                limit ${limit}
                for update skip locked
              )
              update jobs set
                status = 'running', attempts = attempts + 1, locked_by = ${worker},
                lease_expires_at = ${now + leaseMs}, started_at = ${now}, updated_at = ${now}
              from due
              where jobs.id = due.id and jobs.status = 'pending'
              returning jobs.*`.execute(db);
            rows = result.rows;
          } else {
            const due = db
              .selectFrom("jobs")
              .select("id")
              .where("status", "=", "pending")
              .where("type", "=", type)
              .where("run_at", "<=", now)
              .orderBy("priority", "desc")
              .orderBy("run_at")
              .orderBy("created_at")
              .limit(limit);
            rows = await db
              .updateTable("jobs")
              .set((eb) => ({
                status: "running",
                attempts: eb("attempts", "+", 1),
                locked_by: worker,
                lease_expires_at: now + leaseMs,
                started_at: now,
                updated_at: now,
              }))
              .where("id", "in", due)
              .where("status", "=", "pending")
              .returningAll()
              .execute();
          }
          claimed.push(...rows.map(jobFromRow));
        }
        return claimed.sort(
          (a, b) => b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt,
        );
      }),

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

    finishJob: (id, worker, outcome, now) =>
      op(async (db) => {
        const free = { locked_by: null, lease_expires_at: null, updated_at: now };
        // A cancel asked while the attempt ran wins over a retry: the job ends cancelled.
        const requeue = (error: string | null, runAt: number) => ({
          ...free,
          status: sql<string>`case when cancel_requested then 'cancelled' else 'pending' end`,
          finished_at: sql<
            number | null
          >`case when cancel_requested then cast(${now} as bigint) else null end`,
          error,
          run_at: runAt,
        });
        const set =
          outcome.status === "completed"
            ? {
                ...free,
                status: "completed",
                result: toJson(outcome.result),
                progress: 100,
                finished_at: now,
              }
            : outcome.status === "cancelled"
              ? {
                  ...free,
                  status: "cancelled",
                  error: outcome.error,
                  finished_at: now,
                }
              : outcome.status === "failed" && outcome.retryAt === null
                ? { ...free, status: "failed", error: outcome.error, finished_at: now }
                : outcome.status === "failed"
                  ? requeue(outcome.error, outcome.retryAt as number)
                  : {
                      ...requeue(null, now),
                      error: sql<string | null>`error`,
                      attempts: sql<number>`case when attempts > 0 then attempts - 1 else 0 end`,
                    };
        const row = await db
          .updateTable("jobs")
          .set(set as never)
          .where("id", "=", id)
          .where("status", "=", "running")
          .where("locked_by", "=", worker)
          .returningAll()
          .executeTakeFirst();
        return row ? jobFromRow(row) : null;
      }),

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

    listJobActions: (query) =>
      op(async (db) => {
        let q = db.selectFrom("job_actions").selectAll();
        if (query.jobId !== undefined) q = q.where("job_id", "=", query.jobId);
        if (query.daemon !== undefined) q = q.where("daemon", "=", query.daemon);
        const rows = await q
          .orderBy("at")
          .orderBy("id")
          .limit(query.limit ?? 1000)
          .execute();
        return rows.map(actionFromRow);
      }),

    sweepJobs: (before) =>
      op(async (db) =>
        db.transaction().execute(async (trx) => {
          const old = (eb: Kysely<Database>) =>
            eb
              .selectFrom("jobs")
              .select("id")
              .where("status", "in", FINISHED)
              .where("finished_at", "<", before);
          await trx.deleteFrom("job_actions").where("job_id", "in", old(trx)).execute();
          const result = await trx
            .deleteFrom("jobs")
            .where("status", "in", FINISHED)
            .where("finished_at", "<", before)
            .executeTakeFirst();
          return Number(result.numDeletedRows);
        }),
      ),
  };
}
