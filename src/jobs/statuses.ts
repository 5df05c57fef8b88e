/**
 * Job statuses (DESIGN.md §7): `pending → running → completed | failed | cancelled`, the terminal
 * ones, and the check of statuses that arrive as strings (a query string).
 */
import type { JobRecord, JobStatus } from "../registry/types.js";
import type { JobUpdate } from "./types.js";

export const JOB_STATUSES: readonly JobStatus[] = [
  "pending",
  "running",
  "completed",
  "failed",
  "cancelled",
];
const TERMINAL = new Set<JobStatus>(["completed", "failed", "cancelled"]);

/** Whether a job has reached a status it never leaves. */
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

/** The statuses as given, or a TypeError naming the known ones for an unknown one. */
export function checkStatuses(status: string | readonly string[]): JobStatus[] {
  const list = typeof status === "string" ? [status] : [...status];
  for (const s of list) {
    if (!(JOB_STATUSES as readonly string[]).includes(s))
      throw new TypeError(`unknown job status "${s}": expected one of ${JOB_STATUSES.join(", ")}`);
  }
  return list as JobStatus[];
}

/** The live-stream view of a job at time `at`. */
export const toUpdate = (job: JobRecord, at: number): JobUpdate => ({
  id: job.id,
  type: job.type,
  status: job.status,
  progress: job.progress,
  message: job.progressMessage ?? undefined,
  attempt: job.attempts,
  error: job.error ?? undefined,
  at,
});
