/**
 * What the memory store's job methods share: the maps they keep jobs and actions in, copies in and
 * out (JSON, as the SQL stores keep it), and the lease helpers (whose lease a job is, letting go).
 */
import type { JobActionRecord, JobRecord, JobStatus } from "../registry/types.js";

/** The memory store's jobs and their recorded actions, shared by its job parts. */
export interface MemoryJobState {
  jobs: Map<string, JobRecord>;
  actions: JobActionRecord[];
  nextActionId: number;
}

export const newMemoryJobState = (): MemoryJobState => ({
  jobs: new Map(),
  actions: [],
  nextActionId: 1,
});

export const FINISHED = new Set<JobStatus>(["completed", "failed", "cancelled"]);
export const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));
/** JSON in and out, as the SQL stores keep it. */
export const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

/** The job, if it is running under `worker`'s lease. */
export const held = (
  jobs: Map<string, JobRecord>,
  id: string,
  worker: string,
): JobRecord | undefined => {
  const job = jobs.get(id);
  return job && job.status === "running" && job.lockedBy === worker ? job : undefined;
};

/** Lets go of the job's lease. */
export const free = (job: JobRecord, now: number) => {
  job.lockedBy = null;
  job.leaseExpiresAt = null;
  job.updatedAt = now;
};

/** Back to pending for another attempt at `runAt`, or cancelled if a cancel was asked for. */
export const requeue = (job: JobRecord, now: number, runAt: number) => {
  free(job, now);
  job.runAt = runAt;
  if (job.cancelRequested) {
    job.status = "cancelled";
    job.finishedAt = now;
  } else {
    job.status = "pending";
  }
};
