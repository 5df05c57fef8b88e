/**
 * Ending attempts in the SQL stores: many in one statement, each row of `v` saying how one ended
 * (`kind`), CASEs picking the columns it sets — the same as one `UPDATE … WHERE id = ? AND status
 * = 'running' AND locked_by = ?` per job. A cancel asked while an attempt ran wins over a retry or
 * a release. When any attempt ended, the `jobs` channel is notified in the same commit.
 */
import { sql } from "kysely";
import type { JobRecord } from "../registry/types.js";
import { toJson } from "./json.js";
import { type JobNotifier, type JobRow, jobFromRow, type Op } from "./sql-job-rows.js";
import type { JobMethods, JobOutcome } from "./types.js";

/** Attempts ended per statement (5 parameters each). */
const FINISH_CHUNK = 100;

type Finish = { id: string; outcome: JobOutcome };

/** The `(id, kind, result, error, retry_at)` row of one outcome. */
const outcomeRow = ({ id, outcome }: Finish) => {
  const kind = outcome.status === "failed" && outcome.retryAt !== null ? "retry" : outcome.status;
  const result = outcome.status === "completed" ? toJson(outcome.result) : null;
  const error =
    outcome.status === "failed" || outcome.status === "cancelled" ? outcome.error : null;
  const retryAt = outcome.status === "failed" ? outcome.retryAt : null;
  return sql`(cast(${id} as text), cast(${kind} as text), cast(${result} as text), cast(${error} as text), cast(${retryAt} as bigint))`;
};

/** The `UPDATE … FROM (VALUES …) RETURNING` that ends `chunk`'s attempts. */
export const finishStatement = (
  kind: "sqlite" | "postgres",
  worker: string,
  chunk: readonly Finish[],
  now: number,
) => {
  // SQLite's RETURNING names only the updated table's columns; `*` there means just those.
  const ended = sql`jobs.cancel_requested or v.kind in ('completed', 'cancelled', 'failed')`;
  return sql<JobRow>`
    with v (id, kind, result, error, retry_at) as (values ${sql.join(chunk.map(outcomeRow))})
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
};

export function sqlFinishJobs(
  kind: "sqlite" | "postgres",
  op: Op,
  notifier: JobNotifier,
): JobMethods["finishJobs"] {
  return (worker, finishes, now) =>
    op(async (db) => {
      if (finishes.length === 0) return [];
      const out: (JobRecord | null)[] = [];
      for (let i = 0; i < finishes.length; i += FINISH_CHUNK) {
        const chunk = finishes.slice(i, i + FINISH_CHUNK);
        const update = finishStatement(kind, worker, chunk, now);
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
}
