/** The memory store's job reads: one job, filtered lists, counts per type and status, actions. */
import type { JobStatus } from "../registry/types.js";
import { clone, type MemoryJobState } from "./memory-job-rows.js";
import type { JobMethods } from "./types.js";

const asSet = <T>(value: T | readonly T[] | undefined): Set<T> | undefined =>
  value === undefined ? undefined : new Set(Array.isArray(value) ? value : [value as T]);

export function memoryJobReads(
  { jobs, actions }: MemoryJobState,
  need: () => void,
): Pick<JobMethods, "getJob" | "listJobs" | "countJobs" | "listJobActions"> {
  return {
    async getJob(id) {
      need();
      const job = jobs.get(id);
      return job ? clone(job) : null;
    },

    async listJobs(query = {}) {
      need();
      const statuses = asSet(query.status);
      const types = asSet(query.type);
      const ids = query.ids ? new Set(query.ids) : undefined;
      const sign = (query.order ?? "desc") === "desc" ? -1 : 1;
      return [...jobs.values()]
        .filter(
          (j) =>
            (!statuses || statuses.has(j.status)) &&
            (!types || types.has(j.type)) &&
            (query.launchedBy === undefined || j.launchedBy === query.launchedBy) &&
            (!ids || ids.has(j.id)),
        )
        .sort((a, b) => sign * (a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)))
        .slice(0, query.limit ?? 100)
        .map(clone);
    },

    async countJobs() {
      need();
      const out: Record<string, Partial<Record<JobStatus, number>>> = {};
      for (const job of jobs.values()) {
        const byStatus = out[job.type] ?? {};
        byStatus[job.status] = (byStatus[job.status] ?? 0) + 1;
        out[job.type] = byStatus;
      }
      return out;
    },

    async listJobActions(query) {
      need();
      return actions
        .filter(
          (a) =>
            (query.jobId === undefined || a.jobId === query.jobId) &&
            (query.daemon === undefined || a.daemon === query.daemon),
        )
        .sort((a, b) => a.at - b.at || a.id - b.id)
        .slice(0, query.limit ?? 1000)
        .map(clone);
    },
  };
}
