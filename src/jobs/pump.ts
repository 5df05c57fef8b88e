/**
 * The worker's round trips: each writes the outcomes that ended since the last and claims what the
 * local queue wants (`Store.finishAndClaimJobs`), until neither is left; two may be in flight.
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

/**
 * Round trips in flight at once on PostgreSQL: two let the database work on a claim while the
 * last outcomes are written on another connection; at most one of them claims, so the queue's
 * wants are never asked twice. SQLite (and memory) run one statement at a time in this process:
 * one lane, one transaction for both.
 */
const PG_LANES = 2;
/** Outcomes waiting that make a claim go alone (below, one statement for both costs less). */
const SPLIT_AT = 20;

export function createPump(options: PumpOptions) {
  const { store, clock, logger, worker, leaseMs, queue, finishes } = options;
  const LANES = store.kind === "postgres" ? PG_LANES : 1;
  const lanes = new Set<Promise<void>>();
  let again = false;
  let claiming = false;
  let scheduled = false;

  /** One round trip: the waiting outcomes and (unless one is in flight) a claim. False if idle. */
  async function trip(): Promise<boolean> {
    options.startQueued();
    const wants = options.stopping() || claiming ? null : queue.wants();
    if (wants) claiming = true;
    // A claim with a lane to spare and many outcomes waiting goes alone, the outcomes take the
    // other lane: two statements on two connections at once rather than one doing both in turn.
    const alone = wants !== null && lanes.size < LANES && finishes.waiting() >= SPLIT_AT;
    if (alone) lane();
    const batch = alone ? [] : finishes.take(JOB_SERVICE_DEFAULTS.finishBatch);
    if (batch.length === 0 && !wants) return false;
    const now = clock.now();
    try {
      const { finished, claimed } = await store.finishAndClaimJobs(
        worker,
        batch.map((f) => ({ id: f.job.id, outcome: f.outcome, held: f.job })),
        wants ? { slots: wants, worker, leaseMs, now } : null,
        now,
      );
      finishes.written(batch, finished);
      if (wants) queue.claimed(wants, claimed, now);
    } catch (thrown) {
      if (batch.length > 0) finishes.failed(batch, thrown);
      if (wants) {
        logger.warn({ err: coerceError(thrown) }, "jobs: claiming failed; trying again later");
        queue.claimed(wants, [], now); // the next wake-up (at the latest the poll) tries again
      }
    } finally {
      if (wants) claiming = false;
    }
    return true;
  }

  /** A lane: round trips until one finds nothing to do and nothing new was asked meanwhile. */
  function lane(): void {
    const running: Promise<void> = (async () => {
      let worked: boolean;
      do {
        again = false;
        worked = await trip();
      } while (worked || again);
    })().finally(() => {
      lanes.delete(running);
    });
    lanes.add(running);
  }

  /** A lane more is worth its statement: none runs, or one does and many outcomes wait. */
  const another = () => lanes.size === 0 || (lanes.size < LANES && finishes.waiting() >= SPLIT_AT);

  /** Resolves once no lane runs (lanes started meanwhile included). */
  async function idle(): Promise<void> {
    while (lanes.size > 0) await Promise.all([...lanes]);
  }

  /**
   * Writes waiting outcomes and claims what the queue wants, up to {@link PG_LANES} round trips at
   * a time, until neither is left; starts queued jobs as slots free. Resolves when idle. Never
   * throws.
   */
  function pump(): Promise<void> {
    again = true;
    if (another()) lane();
    return idle();
  }

  return {
    pump,
    /**
     * Pumps once the handlers settling in this turn of the event loop have queued their
     * outcomes, so they share one write.
     */
    soon(): void {
      again = true;
      if (scheduled || !another()) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        if (another()) lane();
      });
    },
    /** The round trips in flight, if any (resolves when the pump is idle). */
    idle: (): Promise<void> | undefined => (lanes.size > 0 ? idle() : undefined),
  };
}
