/**
 * Ending attempts in PostgreSQL: many in one statement, each row of `v` saying how one ended
 * (`kind`), CASEs picking the columns it sets — the same as one `UPDATE … WHERE id = ? AND status
 * = 'running' AND locked_by = ?` per job. A cancel asked while an attempt ran wins over a retry or
 * a release. When any attempt ended, the `jobs` channel is notified in the same commit, once.
 * `finishAndClaimJobs` adds the worker's next claim to the same round trip. (SQLite runs the same
 * statement prepared once on better-sqlite3: sqlite-jobs.ts.)
 */
import { type Kysely, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { toJson } from "./json.js";
import type { Database } from "./schema.js";
import { byPriority, claimLimits, claimStatement } from "./sql-job-claim.js";
import { type JobNotifier, type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import type { JobClaim, JobMethods, JobOutcome } from "./types.js";

/** Attempts ended per statement, the job service's finishBatch. */
const FINISH_CHUNK = 200;

type Finish = { id: string; outcome: JobOutcome };

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
 * The CTE `v` of `chunk`'s outcomes and the `UPDATE … FROM v … RETURNING` that ends their
 * attempts: `with ${values} ${update}` alone, or with more CTEs around it.
 */
export const finishStatement = (worker: string, chunk: readonly Finish[], now: number) => {
  const ended = sql`jobs.cancel_requested or v.kind in ('completed', 'cancelled', 'failed')`;
  const values = outcomeValues(chunk);
  // The ids as an array too (`any(array(…))`): the rows are then looked up by primary key rather
  // than by hash-joining `v` with every running job (or every job).
  const update = sql<JobRow>`
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
      and jobs.id = any(array(select id from v))
    returning jobs.*`;
  return { values, update };
};

/** The records of `chunk` in its order, null where no attempt was ended (an id twice: once). */
const inOrder = (chunk: readonly Finish[], rows: readonly JobRow[]): (JobRecord | null)[] => {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return chunk.map(({ id }) => {
    const row = byId.get(id);
    byId.delete(id);
    return row ? jobFromRow(row) : null;
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
    if (limits.length === 0) {
      const rows = (
        await sql<JobRow>`with ${values}, u as (${update})
          select u.*, ${notifyOnce(expression)} as notified from u`.execute(db)
      ).rows;
      return { finished: inOrder(chunk, rows), claimed: [] };
    }
    // Both halves see one snapshot and touch disjoint rows (running ones of this worker,
    // pending ones), so the claim cannot take a job these outcomes send back to pending.
    const rows = (
      await sql<JobRow & { part: string }>`
        with recursive ${values}, fin as (${update}), ${claimStatement(claim as JobClaim, limits)}
        select 'f' as part, fin.*, ${notifyOnce(expression)} as notified from fin
        union all
        select 'c' as part, claimed.*, 0 as notified from claimed`.execute(db)
    ).rows;
    return {
      finished: inOrder(
        chunk,
        rows.filter((r) => r.part === "f"),
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
