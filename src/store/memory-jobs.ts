/**
 * The memory store's jobs (`memory:`), composed like `sql-jobs.ts`: launching
 * (memory-job-launch.ts), claiming and leases (memory-job-claim.ts), ending attempts
 * (memory-job-finish.ts) and the reads (memory-job-reads.ts) in their own files, sharing the maps
 * of memory-job-rows.ts; cancels and sweeps here.
 */
import type { JobActionRecord } from "../registry/types.js";
import { memoryClaimMethods } from "./memory-job-claim.js";
import { memoryFinishMethods } from "./memory-job-finish.js";
import { memoryLaunchMethods } from "./memory-job-launch.js";
import { memoryJobReads } from "./memory-job-reads.js";
import { clone, FINISHED, newMemoryJobState } from "./memory-job-rows.js";
import type { JobMethods, StoreChannel } from "./types.js";

/**
 * The memory store's jobs: the same semantics as `sql-jobs.ts`, in a map. `notify` wakes the
 * store's listeners of a channel (launches and finishes notify `jobs`).
 */
export function memoryJobMethods(
  need: () => void,
  notify: (channel: StoreChannel) => void,
): JobMethods {
  const state = newMemoryJobState();
  const { jobs, actions } = state;
  const claim = memoryClaimMethods(state, need);

  return {
    ...memoryLaunchMethods(state, need, notify),
    ...memoryJobReads(state, need),
    ...claim,
    ...memoryFinishMethods(state, need, notify, claim.claimJobs),

    async cancelJob(id, reason, now) {
      need();
      const job = jobs.get(id);
      if (!job) return null;
      if (job.status === "pending") {
        job.status = "cancelled";
        job.error = reason;
        job.finishedAt = now;
        job.updatedAt = now;
      } else if (job.status === "running") {
        job.cancelRequested = true;
        job.error = reason;
        job.updatedAt = now;
      }
      return clone(job);
    },

    async sweepJobs(before) {
      need();
      let removed = 0;
      for (const [id, job] of jobs) {
        if (FINISHED.has(job.status) && job.finishedAt !== null && job.finishedAt < before) {
          jobs.delete(id);
          removed++;
        }
      }
      for (let i = actions.length - 1; i >= 0; i--) {
        if (!jobs.has((actions[i] as JobActionRecord).jobId)) actions.splice(i, 1);
      }
      return removed;
    },
  };
}
