import type { JobActionRecord, JobRecord, JobStatus } from "../registry/types.js";
import type { JobMethods, StoreChannel } from "./types.js";

const FINISHED = new Set<JobStatus>(["completed", "failed", "cancelled"]);
const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));
/** JSON in and out, as the SQL stores keep it. */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

const asSet = <T>(value: T | readonly T[] | undefined): Set<T> | undefined =>
  value === undefined ? undefined : new Set(Array.isArray(value) ? value : [value as T]);

/**
 * The memory store's jobs: the same semantics as `sql-jobs.ts`, in a map. `notify` wakes the
 * store's listeners of a channel (launches and finishes notify `jobs`).
 */
export function memoryJobMethods(
  need: () => void,
  notify: (channel: StoreChannel) => void,
): JobMethods {
  const jobs = new Map<string, JobRecord>();
  const actions: JobActionRecord[] = [];
  let nextActionId = 1;

  const held = (id: string, worker: string): JobRecord | undefined => {
    const job = jobs.get(id);
    return job && job.status === "running" && job.lockedBy === worker ? job : undefined;
  };
  const free = (job: JobRecord, now: number) => {
    job.lockedBy = null;
    job.leaseExpiresAt = null;
    job.updatedAt = now;
  };
  const requeue = (job: JobRecord, now: number, runAt: number) => {
    free(job, now);
    job.runAt = runAt;
    if (job.cancelRequested) {
      job.status = "cancelled";
      job.finishedAt = now;
    } else {
      job.status = "pending";
    }
  };

  const methods: JobMethods = {
    async launchJob(input, action) {
      const inserted = await methods.insertJob(input);
      if (!inserted.created) return inserted;
      await methods.addJobAction({ ...action, jobId: inserted.job.id });
      notify("jobs");
      return inserted;
    },

    async launchJobs(launches) {
      need();
      const out: { job: JobRecord; created: boolean }[] = [];
      for (const { job, action } of launches) out.push(await methods.launchJob(job, action));
      return out;
    },

    async insertJob(input) {
      need();
      if (input.dedupKey !== null) {
        for (const job of jobs.values()) {
          if (job.dedupKey === input.dedupKey && !FINISHED.has(job.status))
            return { job: clone(job), created: false };
        }
      }
      const existing = jobs.get(input.id);
      if (existing) return { job: clone(existing), created: false };
      const job: JobRecord = {
        id: input.id,
        type: input.type,
        status: "pending",
        payload: json(input.payload),
        result: null,
        error: null,
        priority: input.priority,
        attempts: 0,
        maxAttempts: input.maxAttempts,
        runAt: input.runAt,
        dedupKey: input.dedupKey,
        progress: 0,
        progressMessage: null,
        launchedBy: input.launchedBy,
        reason: input.reason,
        lockedBy: null,
        leaseExpiresAt: null,
        cancelRequested: false,
        createdAt: input.now,
        updatedAt: input.now,
        startedAt: null,
        finishedAt: null,
      };
      jobs.set(job.id, job);
      return { job: clone(job), created: true };
    },

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
      const job = held(id, worker);
      if (!job) return { held: false, cancelRequested: false };
      job.leaseExpiresAt = now + leaseMs;
      job.updatedAt = now;
      return { held: true, cancelRequested: job.cancelRequested };
    },

    async setJobProgress(id, worker, progress, message, now) {
      need();
      const job = held(id, worker);
      if (!job) return false;
      job.progress = progress;
      job.progressMessage = message;
      job.updatedAt = now;
      return true;
    },

    async finishJob(id, worker, outcome, now) {
      need();
      const job = held(id, worker);
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
      const claimed = claim ? await methods.claimJobs(claim) : [];
      return { finished: await methods.finishJobs(worker, finishes, now), claimed };
    },

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

    async reclaimJobs(now) {
      need();
      const out: JobRecord[] = [];
      for (const job of jobs.values()) {
        if (job.status !== "running" || job.leaseExpiresAt === null || job.leaseExpiresAt > now)
          continue;
        const worker = job.lockedBy ?? "?";
        free(job, now);
        job.runAt = now;
        if (job.cancelRequested) {
          job.status = "cancelled";
          job.finishedAt = now;
        } else {
          job.error = `lease expired: worker ${worker} stopped renewing it`;
          if (job.attempts >= job.maxAttempts) {
            job.status = "failed";
            job.finishedAt = now;
          } else {
            job.status = "pending";
          }
        }
        out.push(clone(job));
      }
      return out;
    },

    async addJobAction(action) {
      need();
      const record: JobActionRecord = { id: nextActionId++, ...clone(action) };
      actions.push(record);
      return clone(record);
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
  return methods;
}
