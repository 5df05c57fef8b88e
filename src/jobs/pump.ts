/**
 * The worker's one round trip at a time: each writes the outcomes that ended since the last and
 * claims what the local queue wants (`Store.finishAndClaimJobs`), until neither is left.
 */
import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { Store } from "../store/types.js";
import { JOB_SERVICE_DEFAULTS } from "./defaults.js";
import type { createFinishes } from "./finishes.js";
import type { LocalQueue } from "./local-queue.js";

export interface PumpOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  worker: string;
  leaseMs: number;
  queue: LocalQueue;
  finishes: ReturnType<typeof createFinishes>;
  /** Starts queued jobs as slots free; called before every round trip. */
  startQueued(): void;
  /** True once the worker stops: nothing more is claimed. */
  stopping(): boolean;
}

export function createPump(options: PumpOptions) {
  const { store, clock, logger, worker, leaseMs, queue, finishes } = options;
  let pumping: Promise<void> | undefined;
  let again = false;
  let scheduled = false;

  /**
   * Writes waiting outcomes and claims what the queue wants, one round trip at a time, until
   * neither is left; starts queued jobs as slots free. Resolves when idle. Never throws.
   */
  function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      do {
        again = false;
        options.startQueued();
        const batch = finishes.take(JOB_SERVICE_DEFAULTS.finishBatch);
        const wants = options.stopping() ? null : queue.wants();
        if (batch.length === 0 && !wants) continue;
        const now = clock.now();
        try {
          const { finished, claimed } = await store.finishAndClaimJobs(
            worker,
            batch.map((f) => ({ id: f.job.id, outcome: f.outcome })),
            wants ? { slots: wants, worker, leaseMs, now } : null,
            now,
          );
          finishes.written(batch, finished);
          if (wants) queue.claimed(wants, claimed, now);
          again = true;
        } catch (thrown) {
          if (batch.length > 0) finishes.failed(batch, thrown);
          if (wants) {
            logger.warn({ err: coerceError(thrown) }, "jobs: claiming failed; trying again later");
            queue.claimed(wants, [], now); // the next wake-up (at the latest the poll) tries again
          }
        }
      } while (again);
    })().finally(() => {
      pumping = undefined;
    });
    return pumping;
  }

  return {
    pump,
    /**
     * Pumps once the handlers settling in this turn of the event loop have queued their
     * outcomes, so they share one write.
     */
    soon(): void {
      if (scheduled || pumping) {
        again = true;
        return;
      }
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void pump();
      });
    },
    /** The round trip in flight, if any (resolves when the pump is idle). */
    idle: (): Promise<void> | undefined => pumping,
  };
}
