/**
 * Claiming in the SQL stores: due pending jobs move to `running` for one worker in one
 * conditional `UPDATE … RETURNING` per type, so two processes racing for a job cannot both win.
 * PostgreSQL adds `FOR UPDATE SKIP LOCKED` to the inner select, so concurrent claimers skip each
 * other's rows instead of waiting on them.
 */
import { sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import type { JobMethods } from "./types.js";

export function sqlClaimJobs(kind: "sqlite" | "postgres", op: Op): JobMethods["claimJobs"] {
  return ({ slots, worker, leaseMs, now }) =>
    op(async (db) => {
      const claimed: JobRecord[] = [];
      for (const [type, free] of Object.entries(slots)) {
        if (!(free > 0)) continue;
        const limit = Math.floor(free);
        let rows: JobRow[];
        if (kind === "postgres") {
          // The picked ids are materialized once: an `IN (SELECT … LIMIT n FOR UPDATE SKIP
          // LOCKED)` subquery may be re-run under concurrent updates and claim more than n.
          const result = await sql<JobRow>`
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
    });
}
