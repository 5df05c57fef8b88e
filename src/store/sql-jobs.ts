import { type Kysely, type QueryCreator, type RawBuilder, type Selectable, sql } from "kysely";
import type { JobActionKind, JobActionRecord, JobRecord, JobStatus } from "../registry/types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import type { JobMethods, JobOutcome, NewJob, NewJobAction, StoreChannel } from "./types.js";

type Op = <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

/** How the job methods send the wake-ups of what they write (the dialect's part of it). */
export interface JobNotifier {
  /**
   * PostgreSQL: an expression (`pg_notify(…)`) to select in the statement that writes, so the
   * write and its wake-up commit together in one round trip.
   */
  expression?(channel: StoreChannel): RawBuilder<unknown>;
  /** Otherwise: notifies inside the writing transaction. */
  inTransaction(trx: Kysely<Database>, channel: StoreChannel): Promise<void>;
  /** After the commit (in-process listeners). */
  after(channel: StoreChannel): void;
}

const FINISHED: JobStatus[] = ["completed", "failed", "cancelled"];
const LIVE: JobStatus[] = ["pending", "running"];
const DEDUP_RETRIES = 5;
/** Attempts ended per statement (5 parameters each). */
const FINISH_CHUNK = 100;

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
export function sqlJobMethods(
  kind: "sqlite" | "postgres",
  op: Op,
  notifier: JobNotifier,
): JobMethods {
  const getJob = (db: Kysely<Database>, id: string) =>
    db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();

  const jobValues = (job: NewJob) => ({
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
  });

  const actionValues = (jobId: string, action: Omit<NewJobAction, "jobId">) => ({
    job_id: jobId,
    daemon: action.daemon,
    action: action.action,
    reason: action.reason,
    at: action.at,
    node_id: action.node,
  });

  type JobRow = Selectable<Database["jobs"]>;

  /**
   * Inserts the job; with `action`, also the action and a wake-up on `jobs`, atomically. The
   * partial unique index on live dedup keys is the only conflict a fresh id can hit.
   */
  const insertOnce = async (
    db: Kysely<Database>,
    job: NewJob,
    action: Omit<NewJobAction, "jobId"> | null,
  ): Promise<JobRow | undefined> => {
    const insert = (qb: QueryCreator<Database>) =>
      qb
        .insertInto("jobs")
        .values(jobValues(job))
        .onConflict((oc) => oc.doNothing())
        .returningAll();
    if (!action) return insert(db).executeTakeFirst();
    if (notifier.expression) {
      // One statement: the action is inserted only when the job was, and pg_notify runs once
      // per inserted row, so a dedup hit records and notifies nothing.
      const row = await db
        .with("j", (qb) => insert(qb))
        .with("a", (qb) =>
          qb
            .insertInto("job_actions")
            .columns(["job_id", "daemon", "action", "reason", "at", "node_id"])
            .expression((eb) =>
              eb
                .selectFrom("j")
                .select([
                  "j.id",
                  sql<string>`cast(${action.daemon} as text)`.as("daemon"),
                  sql<string>`cast(${action.action} as text)`.as("action"),
                  sql<string | null>`cast(${action.reason} as text)`.as("reason"),
                  sql<number>`cast(${action.at} as bigint)`.as("at"),
                  sql<string | null>`cast(${action.node} as text)`.as("node_id"),
                ]),
            ),
        )
        .selectFrom("j")
        .selectAll("j")
        .select(notifier.expression("jobs").as("notified"))
        .executeTakeFirst();
      return row as JobRow | undefined;
    }
    const row = await db.transaction().execute(async (trx) => {
      const inserted = await insert(trx).executeTakeFirst();
      if (inserted) {
        await trx.insertInto("job_actions").values(actionValues(inserted.id, action)).execute();
        await notifier.inTransaction(trx, "jobs");
      }
      return inserted;
    });
    if (row) notifier.after("jobs");
    return row;
  };

  const insertJob = (job: NewJob, action: Omit<NewJobAction, "jobId"> | null) =>
    op(async (db) => {
      for (let attempt = 0; attempt < DEDUP_RETRIES; attempt++) {
        const inserted = await insertOnce(db, job, action);
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
      throw new Error(`could not insert job ${job.id} (dedup key ${job.dedupKey}): too much churn`);
    });

  /**
   * Ends attempts in one statement: each row of `v` says how one ended (`kind`), and CASEs pick
   * the columns it sets — the same as one `UPDATE … WHERE id = ? AND status = 'running' AND
   * locked_by = ?` per job. A cancel asked while an attempt ran wins over a retry or a release.
   */
  const finishJobs = (
    worker: string,
    finishes: readonly { id: string; outcome: JobOutcome }[],
    now: number,
  ): Promise<(JobRecord | null)[]> =>
    op(async (db) => {
      if (finishes.length === 0) return [];
      const out: (JobRecord | null)[] = [];
      for (let i = 0; i < finishes.length; i += FINISH_CHUNK) {
        const chunk = finishes.slice(i, i + FINISH_CHUNK);
        const rows = sql.join(
          chunk.map(({ id, outcome }) => {
            const kind =
              outcome.status === "failed" && outcome.retryAt !== null ? "retry" : outcome.status;
            const result = outcome.status === "completed" ? toJson(outcome.result) : null;
            const error =
              outcome.status === "failed" || outcome.status === "cancelled" ? outcome.error : null;
            const retryAt = outcome.status === "failed" ? outcome.retryAt : null;
            return sql`(cast(${id} as text), cast(${kind} as text), cast(${result} as text), cast(${error} as text), cast(${retryAt} as bigint))`;
          }),
        );
        // SQLite's RETURNING names only the updated table's columns; `*` there means just those.
        const ended = sql`jobs.cancel_requested or v.kind in ('completed', 'cancelled', 'failed')`;
        const update = sql<JobRow>`
          with v (id, kind, result, error, retry_at) as (values ${rows})
          update jobs set
            status = case
              when v.kind in ('completed', 'cancelled', 'failed') then v.kind
              when jobs.cancel_requested then 'cancelled'
              else 'pending' end,
            result = case when v.kind = 'completed' then v.result else jobs.result end,
            progress = case when v.kind = 'completed' then 100 else jobs.progress end,
            error = case when v.kind in ('completed', 'released') then jobs.error else v.error end,
            finished_at = case when ${ended} then cast(${now} as bigint) else null end,
            run_at = case v.kind
              when 'retry' then v.retry_at
              when 'released' then cast(${now} as bigint)
              else jobs.run_at end,
            attempts = case
              when v.kind = 'released' and jobs.attempts > 0 then jobs.attempts - 1
              when v.kind = 'released' then 0
              else jobs.attempts end,
            locked_by = null, lease_expires_at = null, updated_at = ${now}
          from v
          where jobs.id = v.id and jobs.status = 'running' and jobs.locked_by = ${worker}
          returning ${kind === "postgres" ? sql`jobs.*` : sql`*`}`;
        let updated: JobRow[];
        if (notifier.expression) {
          // One statement: pg_notify runs once per updated row (PostgreSQL folds repeats within
          // a transaction into one), so only when an attempt ended.
          const result = await sql<JobRow>`
            with u as (${update}) select u.*, ${notifier.expression("jobs")} as notified from u`.execute(
            db,
          );
          updated = result.rows;
        } else {
          updated = await db.transaction().execute(async (trx) => {
            const result = await update.execute(trx);
            if (result.rows.length > 0) await notifier.inTransaction(trx, "jobs");
            return result.rows;
          });
          if (updated.length > 0) notifier.after("jobs");
        }
        const byId = new Map(updated.map((row) => [row.id, row]));
        for (const { id } of chunk) {
          const row = byId.get(id);
          byId.delete(id); // an id twice in one call ends the attempt once
          out.push(row ? jobFromRow(row) : null);
        }
      }
      return out;
    });

  return {
    insertJob: (job) => insertJob(job, null),
    launchJob: (job, action) => insertJob(job, action),

    launchJobs: (launches) =>
      op(async (db) => {
        if (launches.length === 0) return [];
        let rows: JobRow[];
        if (notifier.expression) {
          // One statement for the batch: the jobs, the actions of those inserted (joined on the
          // job id), and one pg_notify per inserted row (folded into one at commit).
          const actions = sql.join(
            launches.map(
              ({ job, action }) =>
                sql`(cast(${job.id} as text), cast(${action.daemon} as text), cast(${action.action} as text), cast(${action.reason} as text), cast(${action.at} as bigint), cast(${action.node} as text))`,
            ),
          );
          rows = (await db
            .with("j", (qb) =>
              qb
                .insertInto("jobs")
                .values(launches.map(({ job }) => jobValues(job)))
                .onConflict((oc) => oc.doNothing())
                .returningAll(),
            )
            .with("a", (qb) =>
              qb
                .insertInto("job_actions")
                .columns(["job_id", "daemon", "action", "reason", "at", "node_id"])
                .expression(
                  sql`select v.job_id, v.daemon, v.action, v.reason, v.at, v.node_id
                    from j join (values ${actions}) as v (job_id, daemon, action, reason, at, node_id)
                    on v.job_id = j.id`,
                ),
            )
            .selectFrom("j")
            .selectAll("j")
            .select(notifier.expression("jobs").as("notified"))
            .execute()) as JobRow[];
        } else {
          rows = await db.transaction().execute(async (trx) => {
            const inserted: JobRow[] = [];
            for (const { job, action } of launches) {
              const row = await insertOnce(trx, job, null);
              if (!row) continue;
              await trx.insertInto("job_actions").values(actionValues(row.id, action)).execute();
              inserted.push(row);
            }
            if (inserted.length > 0) await notifier.inTransaction(trx, "jobs");
            return inserted;
          });
          if (rows.length > 0) notifier.after("jobs");
        }
        const byId = new Map(rows.map((row) => [row.id, row]));
        const out: { job: JobRecord; created: boolean }[] = [];
        for (const { job, action } of launches) {
          const row = byId.get(job.id);
          // A dedup conflict: the single launch finds the live job (or inserts, if it ended).
          out.push(row ? { job: jobFromRow(row), created: true } : await insertJob(job, action));
        }
        return out;
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

    finishJob: async (id, worker, outcome, now) =>
      (await finishJobs(worker, [{ id, outcome }], now))[0] ?? null,

    finishJobs: (worker, finishes, now) => finishJobs(worker, finishes, now),

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
