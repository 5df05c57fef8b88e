/**
 * Ending attempts in the memory store: completed, cancelled, failed (for good, or back to pending
 * at its retry time) or released (back to pending now, the attempt not counted), each waking
 * `jobs`; many at once, and finishing together with the next claim.
 */
import type { JobRecord } from "../registry/types.js";
import { clone, free, held, json, type MemoryJobState, requeue } from "./memory-job-rows.js";
import type { JobMethods, StoreChannel } from "./types.js";

export function memoryFinishMethods(
  { jobs }: MemoryJobState,
  need: () => void,
  notify: (channel: StoreChannel) => void,
  claimJobs: JobMethods["claimJobs"],
): Pick<JobMethods, "finishJob" | "finishJobs" | "finishAndClaimJobs"> {
  const methods: Pick<JobMethods, "finishJob" | "finishJobs" | "finishAndClaimJobs"> = {
    async finishJob(id, worker, outcome, now) {
      need();
      const job = held(jobs, id, worker);
      if (!job) return null;
      switch (outcome.status) {
        case "completed":
          free(job, now);
          job.status = "completed";
          job.result = json(outcome.result);
          job.progress = 100;
          job.finishedAt = now;
          break;
        case "cancelled":
          free(job, now);
          job.status = "cancelled";
          job.error = outcome.error;
          job.finishedAt = now;
          break;
        case "failed":
          job.error = outcome.error;
          if (outcome.retryAt === null) {
            free(job, now);
            job.status = "failed";
            job.finishedAt = now;
          } else {
            requeue(job, now, outcome.retryAt);
          }
          break;
        case "released":
          job.attempts = Math.max(0, job.attempts - 1);
          requeue(job, now, now);
          break;
      }
      notify("jobs");
      return clone(job);
    },

    async finishJobs(worker, finishes, now) {
      need();
      const out: (JobRecord | null)[] = [];
      for (const { id, outcome } of finishes)
        out.push(await methods.finishJob(id, worker, outcome, now));
      return out;
    },

    async finishAndClaimJobs(worker, finishes, claim, now) {
      // Claim first: the claim does not see what the outcomes send back to pending.
      const claimed = claim ? await claimJobs(claim) : [];
      return { finished: await methods.finishJobs(worker, finishes, now), claimed };
    },
  };
  return methods;
}
