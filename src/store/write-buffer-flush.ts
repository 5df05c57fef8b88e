/**
 * A write buffer's flush loop: a flush `flushInterval` ms after rows arrive, batches written one at
 * a time until nothing waits, and when a write fails the batch back at the front, the buffer
 * degraded and a retry after a backoff (initialDelay × factor^n, at most maxDelay) — or, for an
 * error retrying cannot fix, the batch dropped and counted.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError, withFormattedStack } from "../internal/errors.js";
import { type BufferedRows, safely } from "./write-buffer-rows.js";
import type { BufferSpool } from "./write-buffer-spool.js";

export interface FlushLoop {
  /** Writes batches until nothing waits (true) or a write fails (false). One at a time. */
  drain(): Promise<boolean>;
  /** The drain in progress, if any. */
  draining(): Promise<boolean> | undefined;
  /** A flush `flushInterval` ms from now, unless one is due, a retry waits or a drain runs. */
  scheduleFlush(): void;
  /** True while a retry waits for its delay. */
  retrying(): boolean;
  clearFlushTimer(): void;
  clearRetryTimer(): void;
  /** Degraded since a write failed (since when, the clock's ms), until one succeeds. */
  state(): { degraded: boolean; degradedSince: number | null; lastError: Error | null };
}

export function createFlushLoop<T>(deps: {
  rows: BufferedRows<T>;
  spool: BufferSpool<T>;
  write: (rows: T[]) => Promise<void>;
  clock: Clock;
  flushInterval: number;
  retry: { initialDelay: number; factor: number; maxDelay: number };
  isRetryable: ((error: Error) => boolean) | undefined;
  onStateChange: ((state: { degraded: boolean; error: Error | null }) => void) | undefined;
  closed: () => boolean;
}): FlushLoop {
  const { rows, spool, clock, flushInterval, retry, closed } = deps;
  const { pending, counts, size, spooled } = rows;
  let degraded = false;
  let degradedSince: number | null = null;
  /** Kept with its stack formatted: unformatted, it would hold the failed batch's rows. */
  let lastError: Error | null = null;
  let retryDelay = retry.initialDelay;
  let flushTimer: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let draining: Promise<boolean> | undefined;

  const setDegraded = (value: boolean, error: Error | null) => {
    if (error) lastError = withFormattedStack(error);
    if (degraded === value) return;
    degraded = value;
    degradedSince = value ? clock.now() : null;
    safely(() => deps.onStateChange?.({ degraded: value, error }));
  };

  const clearFlushTimer = () => {
    if (flushTimer !== undefined) clock.clearTimeout(flushTimer);
    flushTimer = undefined;
  };

  const clearRetryTimer = () => {
    if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
    retryTimer = undefined;
  };

  const scheduleFlush = () => {
    if (closed() || flushTimer !== undefined || retryTimer !== undefined || draining) return;
    flushTimer = clock.setTimeout(() => {
      flushTimer = undefined;
      void drain();
    }, flushInterval);
  };

  const scheduleRetry = () => {
    if (closed() || retryTimer !== undefined) return;
    const delay = retryDelay;
    retryDelay = Math.min(retry.maxDelay, retryDelay * retry.factor);
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      void drain();
    }, delay);
  };

  const drain = (): Promise<boolean> => {
    if (draining) return draining;
    clearFlushTimer();
    clearRetryTimer();
    draining = (async () => {
      try {
        while (size() > 0 || spooled() > 0) {
          const batch = spool.nextBatch();
          const done = () => spool.settle(batch);
          counts.inFlight = batch.through === null ? batch.rows.length : 0;
          try {
            await deps.write(batch.rows);
            counts.inFlight = 0;
            done();
            counts.written += batch.rows.length;
            retryDelay = retry.initialDelay;
            setDegraded(false, null);
          } catch (thrown) {
            counts.inFlight = 0;
            const error = coerceError(thrown);
            if (deps.isRetryable && !safeIsRetryable(deps.isRetryable, error)) {
              lastError = withFormattedStack(error);
              done();
              rows.drop(batch.rows.length, "rejected", error);
              continue;
            }
            if (batch.through === null) pending.putBack(batch.rows);
            rows.enforceBound();
            setDegraded(true, error);
            scheduleRetry();
            return false;
          }
        }
        return true;
      } finally {
        draining = undefined;
        // Rows pushed during the last write of a successful drain wait for the next flush.
        if (size() + spooled() > 0 && retryTimer === undefined) scheduleFlush();
      }
    })();
    return draining;
  };

  return {
    drain,
    draining: () => draining,
    scheduleFlush,
    retrying: () => retryTimer !== undefined,
    clearFlushTimer,
    clearRetryTimer,
    state: () => ({ degraded, degradedSince, lastError }),
  };
}

function safeIsRetryable(fn: (error: Error) => boolean, error: Error): boolean {
  try {
    return fn(error);
  } catch {
    return true;
  }
}
