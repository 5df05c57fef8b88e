/**
 * Claiming and leases in the memory store: due pending jobs move to `running` for one worker
 * (priority, then run time, then age), the worker renews its lease and reports progress, and jobs
 * whose lease expired go back to pending (or fail, out of attempts; or end, if cancelled).
 */
import type { JobRecord } from "../registry/types.js";
import { clone, free, held, type MemoryJobState, requeue } from "./memory-job-rows.js";
import type { JobMethods } from "./types.js";

export function memoryClaimMethods(
  { jobs }: MemoryJobState,
  need: () => void,
): Pick<JobMethods, "claimJobs" | "renewJobLease" | "setJobProgress" | "reclaimJobs"> {
  return {
    async claimJobs({ slots, worker, leaseMs, now }) {
      need();
      const claimed: JobRecord[] = [];
      for (const [type, free] of Object.entries(slots)) {
        if (!(free > 0)) continue;
        const due = [...jobs.values()]
          .filter((j) => j.status === "pending" && j.type === type && j.runAt <= now)
          .sort((a, b) => b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt)
          .slice(0, Math.floor(free));
        for (const job of due) {
          job.status = "running";
          job.attempts += 1;
          job.lockedBy = worker;
          job.leaseExpiresAt = now + leaseMs;
          job.startedAt = now;
          job.updatedAt = now;
          claimed.push(clone(job));
        }
      }
      return claimed.sort(
        (a, b) => b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt,
      );
    },

    async renewJobLease(id, worker, leaseMs, now) {
      need();
      const job = held(jobs, id, worker);
      if (!job) return { held: false, cancelRequested: false };
      job.leaseExpiresAt = now + leaseMs;
      job.updatedAt = now;
      return { held: true, cancelRequested: job.cancelRequested };
    },

    async setJobProgress(id, worker, progress, message, now) {
      need();
      const job = held(jobs, id, worker);
      if (!job) return false;
      job.progress = progress;
      job.progressMessage = message;
      job.updatedAt = now;
      return true;
    },

    async reclaimJobs(now) {
      need();
      const out: JobRecord[] = [];
      for (const job of jobs.values()) {
        if (job.status !== "running" || job.leaseExpiresAt === null || job.leaseExpiresAt > now)
          continue;
        const spent = !job.cancelRequested && job.attempts >= job.maxAttempts;
        if (!job.cancelRequested)
          job.error = `lease expired: worker ${job.lockedBy ?? "?"} stopped renewing it`;
        // Due again now (or cancelled, as asked), unless its attempts are spent.
        requeue(job, now, now);
        if (spent) {
          job.status = "failed";
          job.finishedAt = now;
        }
        out.push(clone(job));
      }
      return out;
    },
  };
}
