/**
 * Claiming in the SQL stores: due pending jobs move to `running` for one worker in a conditional
 * `UPDATE … RETURNING`, so two processes racing for a job cannot both win; every claimed job's
 * lease starts at the claim (a worker's local queue holds jobs it has not started yet).
 *
 * PostgreSQL: one statement for every type, the due ids picked per type and priority by a
 * lateral `SELECT … LIMIT n FOR UPDATE SKIP LOCKED` read in index order, so concurrent claimers
 * skip each other's rows instead of waiting on them; {@link claimStatement} is also the claim half of `finishAndClaimJobs`.
 * SQLite's claims (one writer at a time: per type and due priority, one `UPDATE … WHERE id IN
 * (SELECT … LIMIT n) RETURNING`) are prepared once on better-sqlite3, in sqlite-job-round.ts.
 */
import { type RawBuilder, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import type { JobClaim, JobMethods } from "./types.js";

/** The claim's types with at least one free slot, and how many jobs of each to take. */
export const claimLimits = (claim: JobClaim): [string, number][] =>
  Object.entries(claim.slots)
    .filter(([, free]) => free > 0)
    .map(([type, free]) => [type, Math.floor(free)]);

export const byPriority = (a: JobRecord, b: JobRecord) =>
  b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt;

/**
 * PostgreSQL: the CTEs of a claim, to follow `with recursive` and be selected from as `claimed`
 * (the updated rows). Per type, `prios_i` walks the distinct due priorities downwards, one index
 * probe each (a loose index scan on `jobs_pending`), and for each the due ids come in `run_at` order
 * straight from the index, `FOR UPDATE SKIP LOCKED`, until the type's limit: no sort of every
 * pending row, however long the queue. (Ties of `run_at` within a priority come in index order.)
 * `due` is materialized once: an `IN (SELECT … FOR UPDATE SKIP LOCKED)` subquery may be re-run
 * under concurrent updates and claim more than asked. Its rows are pending and locked by this
 * statement, so the update finds them by id alone (a filter on status leads the planner, with a
 * fresh table's statistics, to read every pending row), as `id = any(array(…))`: a join with
 * `due` is planned as a hash join over a sequential scan of every job, whose cost grows with
 * the table and its dead rows.
 */
export function claimStatement(
  { worker, leaseMs, now }: JobClaim,
  limits: [string, number][],
): RawBuilder<unknown> {
  const pending = (type: string) =>
    sql`status = 'pending' and type = ${type} and run_at <= cast(${now} as bigint)`;
  const perType = limits.map(([type, n], i) => {
    const prios = sql.raw(`prios_${i}`);
    return {
      prios: sql`${prios} (p) as (
        (select priority from jobs where ${pending(type)} order by priority desc limit 1)
        union all
        select (select priority from jobs where ${pending(type)} and priority < ${prios}.p
                order by priority desc limit 1)
        from ${prios} where ${prios}.p is not null
      )`,
      due: sql`(select picked.id from ${prios} cross join lateral (
          select id from jobs where ${pending(type)} and priority = ${prios}.p
          order by run_at limit ${n} for update skip locked
        ) as picked limit ${n})`,
    };
  });
  return sql`
    ${sql.join(perType.map((t) => t.prios))},
    due as materialized (${sql.join(
      perType.map((t) => t.due),
      sql` union all `,
    )}),
    claimed as (
      update jobs set
        status = 'running', attempts = attempts + 1, locked_by = ${worker},
        lease_expires_at = ${now + leaseMs}, started_at = ${now}, updated_at = ${now}
      where jobs.id = any(array(select id from due))
      returning jobs.*
    )`;
}

/** PostgreSQL's `claimJobs`. */
export function sqlClaimJobs(op: Op): JobMethods["claimJobs"] {
  return (claim) =>
    op(async (db) => {
      const limits = claimLimits(claim);
      if (limits.length === 0) return [];
      const result = await sql<JobRow>`
        with recursive ${claimStatement(claim, limits)} select * from claimed`.execute(db);
      return result.rows.map(jobFromRow).sort(byPriority);
    });
}
