/**
 * Claiming in the SQL stores: due pending jobs move to `running` for one worker in a conditional
 * `UPDATE … RETURNING`, so two processes racing for a job cannot both win; every claimed job's
 * lease starts at the claim (a worker's local queue holds jobs it has not started yet).
 *
 * PostgreSQL: one statement for every type, the due ids picked per type by a lateral `SELECT …
 * LIMIT n FOR UPDATE SKIP LOCKED`, so concurrent claimers skip each other's rows instead of
 * waiting on them; {@link claimStatement} is also the claim half of `finishAndClaimJobs`.
 * SQLite (one writer at a time): one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` per type.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import type { Database } from "./schema.js";
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
 * PostgreSQL: the CTEs `due` (the picked ids, materialized once: an `IN (SELECT … FOR UPDATE SKIP
 * LOCKED)` subquery may be re-run under concurrent updates and claim more than asked) and
 * `claimed` (the updated rows), to be selected from by the caller.
 */
export function claimStatement(
  { worker, leaseMs, now }: JobClaim,
  limits: [string, number][],
): RawBuilder<unknown> {
  const wanted = sql.join(
    limits.map(([type, n]) => sql`(cast(${type} as text), cast(${n} as int))`),
  );
  return sql`
    due as materialized (
      select picked.id from (values ${wanted}) as w (type, n)
      cross join lateral (
        select id from jobs
        where status = 'pending' and type = w.type and run_at <= ${now}
        order by priority desc, run_at, created_at
        limit w.n
        for update skip locked
      ) as picked
    ),
    claimed as (
      update jobs set
        status = 'running', attempts = attempts + 1, locked_by = ${worker},
        lease_expires_at = ${now + leaseMs}, started_at = ${now}, updated_at = ${now}
      from due
      where jobs.id = due.id and jobs.status = 'pending'
      returning jobs.*
    )`;
}

/** SQLite: claims in `db` (a transaction or not), one statement per type. */
export async function claimSqlite(db: Kysely<Database>, claim: JobClaim): Promise<JobRecord[]> {
  const { worker, leaseMs, now } = claim;
  const claimed: JobRecord[] = [];
  for (const [type, limit] of claimLimits(claim)) {
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
    const rows = await db
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
    for (const row of rows) claimed.push(jobFromRow(row));
  }
  return claimed.sort(byPriority);
}

export function sqlClaimJobs(kind: "sqlite" | "postgres", op: Op): JobMethods["claimJobs"] {
  return (claim) =>
    op(async (db) => {
      if (kind === "sqlite") return claimSqlite(db, claim);
      const limits = claimLimits(claim);
      if (limits.length === 0) return [];
      const result = await sql<JobRow>`
        with ${claimStatement(claim, limits)} select * from claimed`.execute(db);
      return result.rows.map(jobFromRow).sort(byPriority);
    });
}
