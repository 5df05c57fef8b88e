/**
 * Leases of the jobs waiting in the worker's local queue. Their claim started them; while any job
 * waits, every `leaseMs / 3` those not renewed for that long are renewed (one statement each: the
 * queue is small, and only jobs slower than a third of the lease let it wait that long). A job
 * whose lease was lost leaves the queue; one whose cancel was asked ends `cancelled` unstarted.
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobRecord } from "../registry/types.js";
import type { Store } from "../store/types.js";
import type { LocalQueue } from "./local-queue.js";

export interface QueuedLeasesOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The node id: who holds the leases. */
  worker: string;
  leaseMs: number;
  queue: LocalQueue;
  /** Ends a queued job (already removed from the queue) `cancelled` with `reason`. */
  cancel(job: JobRecord, reason: string): void;
}

export function createQueuedLeases(options: QueuedLeasesOptions) {
  const { store, clock, logger, worker, leaseMs, queue } = options;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const renewOne = async (q: ReturnType<LocalQueue["queued"]>[number]) => {
    try {
      const lease = await store.renewJobLease(q.job.id, worker, leaseMs, clock.now());
      q.leasedAt = clock.now();
      if (!lease.held) queue.remove(q.job.id);
      else if (lease.cancelRequested && queue.remove(q.job.id)) {
        const current = await store.getJob(q.job.id).catch(() => null);
        options.cancel(q.job, current?.error ?? "cancelled");
      }
    } catch (thrown) {
      logger.warn({ err: coerceError(thrown), job: q.job.id }, "jobs: renewing a lease failed");
    }
  };

  const renew = async () => {
    timer = undefined;
    const due = queue.queued().filter((q) => clock.now() - q.leasedAt >= leaseMs / 3);
    await Promise.all(due.map(renewOne));
    if (queue.queued().length > 0) arm();
  };

  function arm(): void {
    if (timer !== undefined || stopped) return;
    timer = clock.setTimeout(() => void renew(), leaseMs / 3);
    (timer as { unref?: () => void }).unref?.();
  }

  return {
    /** Some jobs wait: renew their leases in time (idempotent). */
    arm,
    stop(): void {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
