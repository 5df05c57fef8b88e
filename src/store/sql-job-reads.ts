/**
 * The SQL stores' reads of jobs and job actions: one job, filtered lists (newest first unless
 * asked otherwise), counts by type and status, and a job's actions oldest first.
 */
import type { JobStatus } from "../registry/types.js";
import { actionFromRow, asList, jobFromRow, num, type Op } from "./sql-job-rows.js";
import type { JobMethods } from "./types.js";

export function sqlJobReads(
  op: Op,
): Pick<JobMethods, "getJob" | "listJobs" | "countJobs" | "listJobActions"> {
  return {
    getJob: (id) =>
      op(async (db) => {
        const row = await db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
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
  };
}
