import { HOUR, MINUTE, SECOND } from "../registry/duration.js";

/**
 * Every default of the job service, in one place (DESIGN.md §7). Durations are milliseconds.
 * A job's own defaults (concurrency, attempts, backoff) are `JOB_DEFAULTS` in registry/defaults.ts.
 */
export const JOB_SERVICE_DEFAULTS = {
  /** A running job's lease: a worker that stops renewing it for this long has died. */
  leaseMs: 10 * SECOND,
  /** How often workers look for due jobs and expired leases besides wake-ups. */
  pollMs: 1 * SECOND,
  /** Finished jobs (and their actions) are kept this long, then swept. */
  retentionMs: 7 * 24 * HOUR,
  /** How often finished jobs past the retention are swept. */
  sweepIntervalMs: 1 * MINUTE,
  /** At most one progress write per job per this interval (the last value is always written). */
  progressThrottleMs: 250,
  /** How long `stop()` waits for running jobs before aborting them and handing them back. */
  stopTimeoutMs: 30 * SECOND,
  /** At most this many launches share one write (those made while the previous one ran). */
  launchBatch: 100,
  /**
   * Jobs of a type claimed ahead of its free slots, per slot of its concurrency: with 1, a type of
   * concurrency 10 claims up to 20 at once and keeps up to 10 waiting in memory (under lease).
   */
  prefetchPerSlot: 1,
  /**
   * The prefetch per slot of a type whose attempts here took under {@link shortJobMs} on average
   * (after at least a full set of its slots): short jobs spend more time in round trips than in
   * handlers, so a type of concurrency 10 then holds up to 400: the queue claims again once it
   * holds under half of that, so with short jobs the next claim of ~200 is already in flight while
   * the last one's run (200 drained ~15% faster than 100 on PostgreSQL, 400 another ~10–20% in
   * alternating runs; held jobs are renewed like running ones).
   */
  prefetchPerSlotShort: 39,
  /** Mean attempt duration below which a type's jobs count as short (see prefetchPerSlotShort). */
  shortJobMs: 10,
  /**
   * At most this many outcomes share one write (and ride with the next claim): as many as a claim
   * of short jobs brings, so a drain takes two round trips per 200 jobs rather than three (since
   * the outcomes travel as arrays, a statement's fixed cost outweighs its per-row cost).
   */
  finishBatch: 200,
  /** How stale the counts behind `stats()` may be before they are read again. */
  statsMaxAgeMs: 1 * SECOND,
};
