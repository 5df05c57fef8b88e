/**
 * Ending attempts in PostgreSQL: many in one statement, each row of `v` saying how one ended
 * (`kind`), CASEs picking the columns it sets — the same as one `UPDATE … WHERE id = ? AND status
 * = 'running' AND locked_by = ?` per job. A cancel asked while an attempt ran wins over a retry or
 * a release. When any attempt ended, the `jobs` channel is notified in the same commit, once.
 * `finishAndClaimJobs` adds the worker's next claim to the same round trip. (SQLite runs the same
 * statement prepared once on better-sqlite3: sqlite-job-round.ts.)
 */
import { type Kysely, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import { byPriority, claimLimits, claimStatement } from "./sql-job-claim.js";
import {
  bool,
  type JobNotifier,
  type JobRow,
  jobFromRow,
  num,
  numOrNull,
  type Op,
} from "./sql-job-rows.js";
import type { JobClaim, JobFinish, JobMethods } from "./types.js";

/** Attempts ended per statement, the job service's finishBatch. */
const FINISH_CHUNK = 200;

type Finish = JobFinish;

/** Every `jobs` column, in the order both halves of a finish-and-claim select them. */
const JOB_COLUMNS = [
  "id",
  "type",
  "status",
  "payload",
  "result",
  "error",
  "priority",
  "attempts",
  "max_attempts",
  "run_at",
  "dedup_key",
  "progress",
  "progress_message",
  "launched_by",
  "reason",
  "locked_by",
  "lease_expires_at",
  "cancel_requested",
  "created_at",
  "updated_at",
  "started_at",
  "finished_at",
] as const;
/**
 * What an attempt's end reads back when the caller holds the job (`held`): the columns an attempt
 * can change (`locked_by`, `lease_expires_at` and `updated_at` it sets to known values). Parsing
 * the other eleven, the payload among them, was a sixth of a drain's process time.
 */
const CHANGED_COLUMNS = new Set([
  "id",
  "status",
  "result",
  "error",
  "attempts",
  "run_at",
  "progress",
  "progress_message",
  "cancel_requested",
  "started_at",
  "finished_at",
]);
/** `table`'s columns as `JOB_COLUMNS` lists them; with `brief`, null for those not changed. */
const columnsOf = (table: string, brief: boolean) =>
  sql.raw(
    JOB_COLUMNS.map((c) =>
      !brief || CHANGED_COLUMNS.has(c) ? `${table}.${c}` : `null as ${c}`,
    ).join(", "),
  );

/** Only the changed columns are read back when every outcome of `chunk` holds its job. */
const isBrief = (chunk: readonly Finish[]) => chunk.every((f) => f.held !== undefined);

/** The record of `held` after its attempt ended as `row` (the changed columns) says, at `now`. */
export const endedRecord = (held: JobRecord, row: JobRow, now: number): JobRecord => ({
  ...held,
  status: row.status as JobRecord["status"],
  result: fromJson(row.result),
  error: row.error,
  attempts: num(row.attempts),
  runAt: num(row.run_at),
  progress: num(row.progress),
  progressMessage: row.progress_message,
  lockedBy: null,
  leaseExpiresAt: null,
  cancelRequested: bool(row.cancel_requested),
  updatedAt: now,
  startedAt: numOrNull(row.started_at),
  finishedAt: numOrNull(row.finished_at),
});

/** The `(id, kind, result, error, retry_at)` of one outcome. */
const outcomeColumns = ({ id, outcome }: Finish) => {
  const kind = outcome.status === "failed" && outcome.retryAt !== null ? "retry" : outcome.status;
  const result = outcome.status === "completed" ? toJson(outcome.result) : null;
  const error =
    outcome.status === "failed" || outcome.status === "cancelled" ? outcome.error : null;
  const retryAt = outcome.status === "failed" ? outcome.retryAt : null;
  return [id, kind, result, error, retryAt] as const;
};

/**
 * The CTE `v` of `chunk`'s outcomes, each column as one array parameter (`unnest`), five
 * parameters whatever the chunk's size — a `values` list of five parameters per outcome cost the
 * process more to build and bind than the database to run.
 */
const outcomeValues = (chunk: readonly Finish[]) => {
  const rows = chunk.map(outcomeColumns);
  const column = (i: number) => rows.map((row) => row[i]);
  return sql`v (id, kind, result, error, retry_at) as (select * from unnest(
    cast(${column(0)} as text[]), cast(${column(1)} as text[]), cast(${column(2)} as text[]),
    cast(${column(3)} as text[]), cast(${column(4)} as bigint[])))`;
};

/**
 * How an attempt's end sets a job's columns, from its outcome row in `v` (`kind` is `completed`,
 * `cancelled`, `failed`, `retry` or `released`) and the time `now` (an SQL expression): the one
 * list of rules both dialects run (SQLite's statement is sqlite-job-round.ts's). A cancel asked while
 * the attempt ran wins over a retry or a release.
 */
export const attemptEndAssignments = (now: string) => `
  status = case
    when v.kind in ('completed', 'cancelled', 'failed') then v.kind
    when jobs.cancel_requested then 'cancelled'
    else 'pending' end,
  result = case when v.kind = 'completed' then v.result else jobs.result end,
  progress = case when v.kind = 'completed' then 100 else jobs.progress end,
  error = case when v.kind in ('completed', 'released') then jobs.error else v.error end,
  finished_at = case
    when jobs.cancel_requested or v.kind in ('completed', 'cancelled', 'failed') then ${now}
    else null end,
  run_at = case v.kind when 'retry' then v.retry_at when 'released' then ${now} else jobs.run_at end,
  attempts = case
    when v.kind = 'released' and jobs.attempts > 0 then jobs.attempts - 1
    when v.kind = 'released' then 0
    else jobs.attempts end,
  locked_by = null, lease_expires_at = null, updated_at = ${now}`;

/**
 * The CTE `v` of `chunk`'s outcomes and the `UPDATE … FROM v … RETURNING` that ends their
 * attempts: `with ${values} ${update}` alone, or with more CTEs around it.
 */
const finishStatement = (worker: string, chunk: readonly Finish[], now: number) => {
  const values = outcomeValues(chunk);
  // The ids as an array too (`any(array(…))`): the rows are then looked up by primary key rather
  // than by hash-joining `v` with every running job (or every job).
  const update = sql<JobRow>`
    update jobs set ${sql.raw(attemptEndAssignments(`cast(${Math.trunc(now)} as bigint)`))}
    from v
    where jobs.id = v.id and jobs.status = 'running' and jobs.locked_by = ${worker}
      and jobs.id = any(array(select id from v))
    returning ${isBrief(chunk) ? columnsOf("jobs", true) : sql`jobs.*`}`;
  return { values, update };
};

/**
 * The records of `chunk` in its order, null where no attempt was ended (an id twice: once); from
 * `held` and the changed columns when the statement read back only those (`brief`).
 */
const inOrder = (
  chunk: readonly Finish[],
  rows: readonly JobRow[],
  brief: boolean,
  now: number,
): (JobRecord | null)[] => {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return chunk.map(({ id, held }) => {
    const row = byId.get(id);
    byId.delete(id);
    if (!row) return null;
    return brief && held ? endedRecord(held, row, now) : jobFromRow(row);
  });
};

/**
 * PostgreSQL: one wake-up per statement, and only when it ended an attempt — an uncorrelated
 * subquery in the select list runs once, at the first row.
 */
const notifyOnce = (expression: NonNullable<JobNotifier["expression"]>) =>
  sql`(select count(*) from (select ${expression("jobs")}) as n)`;

/** PostgreSQL's `finishJobs` and `finishAndClaimJobs`. */
export function sqlFinishMethods(
  op: Op,
  expression: NonNullable<JobNotifier["expression"]>,
): Pick<JobMethods, "finishJobs" | "finishAndClaimJobs"> {
  /** Ends `chunk`'s attempts and, with `claim`, claims, in one statement. */
  const inStatement = async (
    db: Kysely<Database>,
    worker: string,
    chunk: readonly Finish[],
    claim: JobClaim | null,
    now: number,
  ) => {
    const limits = claim ? claimLimits(claim) : [];
    if (chunk.length === 0 && limits.length === 0) return { finished: [], claimed: [] };
    if (chunk.length === 0) {
      const rows = (
        await sql<JobRow>`with recursive ${claimStatement(claim as JobClaim, limits)} select * from claimed`.execute(
          db,
        )
      ).rows;
      return { finished: [], claimed: rows.map(jobFromRow).sort(byPriority) };
    }
    const { values, update } = finishStatement(worker, chunk, now);
    const brief = isBrief(chunk);
    if (limits.length === 0) {
      const rows = (
        await sql<JobRow>`with ${values}, u as (${update})
          select u.*, ${notifyOnce(expression)} as notified from u`.execute(db)
      ).rows;
      return { finished: inOrder(chunk, rows, brief, now), claimed: [] };
    }
    // Both halves see one snapshot and touch disjoint rows (running ones of this worker,
    // pending ones), so the claim cannot take a job these outcomes send back to pending.
    const rows = (
      await sql<JobRow & { part: string }>`
        with recursive ${values}, fin as (${update}), ${claimStatement(claim as JobClaim, limits)}
        select 'f' as part, ${columnsOf("fin", brief)}, ${notifyOnce(expression)} as notified
        from fin
        union all
        select 'c' as part, ${columnsOf("claimed", false)}, 0 as notified from claimed`.execute(db)
    ).rows;
    return {
      finished: inOrder(
        chunk,
        rows.filter((r) => r.part === "f"),
        brief,
        now,
      ),
      claimed: rows
        .filter((r) => r.part === "c")
        .map(jobFromRow)
        .sort(byPriority),
    };
  };

  const finishAndClaim = (
    worker: string,
    finishes: readonly Finish[],
    claim: JobClaim | null,
    now: number,
  ) =>
    op(async (db) => {
      const finished: (JobRecord | null)[] = [];
      let claimed: JobRecord[] = [];
      // Chunks of FINISH_CHUNK outcomes; the claim rides with the last one.
      let i = 0;
      do {
        const chunk = finishes.slice(i, i + FINISH_CHUNK);
        i += FINISH_CHUNK;
        const last = i >= finishes.length;
        const part = await inStatement(db, worker, chunk, last ? claim : null, now);
        finished.push(...part.finished);
        if (last) claimed = part.claimed;
      } while (i < finishes.length);
      return { finished, claimed };
    });

  return {
    finishJobs: async (worker, finishes, now) =>
      finishes.length === 0 ? [] : (await finishAndClaim(worker, finishes, null, now)).finished,
    finishAndClaimJobs: finishAndClaim,
  };
}
