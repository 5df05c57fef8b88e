/**
 * The operations daemons and the HTTP API share: cancel, get (with actions), list, reclaim of
 * expired leases and the sweep of finished jobs past their retention.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { StateConflictError } from "../registry/errors.js";
import type { JobActionKind, JobRecord, JobWithActions } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { JobCancelledError } from "./errors.js";
import type { Monitors } from "./monitors.js";
import { checkStatuses, isTerminal, toUpdate } from "./statuses.js";
import type { JobListFilter, JobUpdate } from "./types.js";
import type { Worker } from "./worker.js";

export interface OperationsOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  monitors: Monitors;
  worker: Worker;
  retentionMs: number;
  emitStatus(update: JobUpdate): void;
  record(
    jobId: string,
    daemon: string,
    action: JobActionKind,
    reason: string | null,
  ): Promise<unknown>;
}

export function createOperations(options: OperationsOptions) {
  const { store, clock, log, monitors, worker, record, emitStatus } = options;

  const notify = (channel: "jobs" | "job_cancels" = "jobs") => {
    store.notify(channel).catch((thrown) => {
      log.debug({ err: coerceError(thrown) }, "jobs: a wake-up notification failed");
    });
  };

  /**
   * Cancels job `id` and records `cancelled` by `by`. A finished job is returned as it is, or
   * with `conflict` a {@link StateConflictError}; undefined when unknown.
   */
  async function cancel(
    by: string,
    id: string,
    reason: string,
    conflict: boolean,
  ): Promise<JobRecord | undefined> {
    const before = await store.getJob(id);
    if (!before) return undefined;
    if (isTerminal(before.status)) {
      if (conflict) throw new StateConflictError(`job ${id}`, before.status, "cancel");
      return before;
    }
    return monitors.whileCancelling(id, async () => {
      const job = await store.cancelJob(id, reason, clock.now());
      if (!job) return undefined;
      await record(id, by, "cancelled", reason);
      if (job.status === "cancelled") emitStatus(toUpdate(job, clock.now()));
      else if (job.status === "running" && !worker.abort(id, new JobCancelledError(reason)))
        notify("job_cancels"); // it runs in another process: its worker looks at once
      notify();
      return job;
    });
  }

  async function get(id: string): Promise<JobWithActions | undefined> {
    const job = await store.getJob(id);
    if (!job) return undefined;
    return { ...job, actions: await store.listJobActions({ jobId: id }) };
  }

  const list = async (filter: JobListFilter = {}) =>
    store.listJobs({
      ...(filter.status !== undefined ? { status: checkStatuses(filter.status) } : {}),
      ...(filter.type !== undefined ? { type: filter.type } : {}),
      ...(filter.daemon !== undefined ? { launchedBy: filter.daemon } : {}),
      limit: filter.limit ?? 100,
    });

  async function reclaim(): Promise<JobRecord[]> {
    const jobs = await store.reclaimJobs(clock.now());
    for (const job of jobs) {
      log.warn(
        { job: job.id, type: job.type, attempts: job.attempts, status: job.status },
        `jobs: reclaimed ${job.type} ${job.id} from a worker whose lease expired → ${job.status}`,
      );
      emitStatus(toUpdate(job, clock.now()));
    }
    if (jobs.length > 0) notify();
    return jobs;
  }

  async function sweep(): Promise<number> {
    const removed = await store.sweepJobs(clock.now() - options.retentionMs);
    if (removed > 0) log.debug({ removed }, "jobs: swept finished jobs past their retention");
    return removed;
  }

  return { cancel, get, list, reclaim, sweep };
}
