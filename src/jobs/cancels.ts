/**
 * How a cancel asked from another process reaches this worker before the next lease renewal: on
 * a `job_cancels` wake-up, one query looks up every job running or queued here. A running attempt
 * whose cancel was asked is aborted (it ends `cancelled`); one whose lease another worker holds
 * now is aborted as lost. A queued job leaves the queue, `cancelled` without starting when asked.
 * Attempts whose handler already settled are left alone.
 */
import type { JobRecord } from "../registry/types.js";
import type { Store } from "../store/types.js";
import type { Attempt } from "./attempt.js";
import { JobCancelledError, JobLeaseLostError } from "./errors.js";
import type { LocalQueue } from "./local-queue.js";

export interface CancelsOptions {
  store: Store;
  /** The node id: who holds the leases. */
  worker: string;
  running: ReadonlyMap<string, Attempt>;
  queue: LocalQueue;
  /** Ends a queued job (already removed from the queue) `cancelled` with `reason`. */
  cancelQueued(job: JobRecord, reason: string): void;
}

const live = (entry: Attempt | undefined): entry is Attempt =>
  entry !== undefined && !entry.settled && !entry.controller.aborted;

export async function checkCancels(options: CancelsOptions): Promise<void> {
  const { store, worker, running, queue } = options;
  const ids = [
    ...[...running.values()].filter(live).map((entry) => entry.job.id),
    ...queue.queued().map((q) => q.job.id),
  ];
  if (ids.length === 0) return;
  let jobs: JobRecord[];
  try {
    jobs = await store.listJobs({ ids, limit: ids.length });
  } catch {
    return; // the renewal timer sees the cancel
  }
  for (const job of jobs) {
    const lost = job.status !== "running" || job.lockedBy !== worker;
    const entry = running.get(job.id);
    if (!entry) {
      if (!lost && !job.cancelRequested) continue;
      const queued = queue.remove(job.id);
      if (queued && !lost) options.cancelQueued(queued, job.error ?? "cancelled");
      continue;
    }
    if (!live(entry)) continue;
    if (lost) entry.controller.abort(new JobLeaseLostError("the lease was lost"));
    else if (job.cancelRequested)
      entry.controller.abort(new JobCancelledError(job.error ?? "cancelled"));
  }
}
