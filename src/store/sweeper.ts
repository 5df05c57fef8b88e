/**
 * The retention sweeper: trims logs (rows per daemon, age) and events (age, past every cursor)
 * on a timer, so neither fills the disk.
 */
import { type Clock, systemClock, type TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { STORE_DEFAULTS } from "./defaults.js";
import type { Store } from "./types.js";

export interface LogSweeperOptions {
  maxRowsPerDaemon?: number;
  maxAgeMs?: number;
  /** Events older than this that every subscriber has passed are removed too. Default 7 days. */
  eventMaxAgeMs?: number;
  /** Events beyond the newest this many are removed too. Default 1,000,000. */
  eventMaxRows?: number;
  /** ms between sweeps; the first runs at once. */
  intervalMs?: number;
  clock?: Clock;
  onSweep?: (removed: number) => void;
  /** Told after each event-trimming statement: its row limit, the rows it removed, its ms. */
  onBatch?: (batch: { limit: number; removed: number; ms: number }) => void;
  onError?: (error: Error) => void;
}

export interface LogSweeper {
  /** Sweeps now; resolves with the rows removed. */
  sweep(): Promise<number>;
  stop(): void;
}

/**
 * Enforces log retention: every `intervalMs` (default 1 min) it removes each daemon's rows beyond
 * the newest `maxRowsPerDaemon` (default 10,000) and rows older than `maxAgeMs` (default 7 days),
 * so logs never fill the disk; and events beyond the newest 1,000,000 or older than 7 days that
 * every subscriber has handled, in batches (see `trimEventsInBatches`).
 * A failed sweep is reported to `onError` and tried again next time.
 */
export function startLogSweeper(store: Store, options: LogSweeperOptions = {}): LogSweeper {
  const defaults = STORE_DEFAULTS.logRetention;
  const clock = options.clock ?? systemClock;
  const interval = options.intervalMs ?? defaults.interval;
  let timer: TimerHandle | undefined;
  let stopped = false;

  /**
   * Event retention, one short statement of at most `batch` rows at a time, yielding to the event
   * loop between them (`pause` ms), so a sweep of any size never holds the loop for more than a
   * batch; a statement over `batchBudget` ms halves the next (SQLite runs on the loop).
   */
  const trimEventsInBatches = async () => {
    const retention = STORE_DEFAULTS.eventRetention;
    const rule = {
      maxAgeMs: options.eventMaxAgeMs ?? retention.maxAge,
      maxRows: options.eventMaxRows ?? retention.maxRows,
    };
    // SQLite and memory statements run on the event loop: their time is the loop's, and a slow
    // one halves the next. PostgreSQL's wait for the server with the loop free: fixed batches.
    const onLoop = store.kind !== "postgres";
    let limit = onLoop ? retention.batch : retention.asyncBatch;
    let removed = 0;
    for (;;) {
      const started = performance.now();
      const n = await store.trimEvents({ ...rule, limit, now: clock.now() });
      const ms = performance.now() - started;
      removed += n;
      try {
        options.onBatch?.({ limit, removed: n, ms });
      } catch {
        // An observer's error is its own.
      }
      if (n < limit || stopped) return removed;
      if (onLoop && ms > retention.batchBudget) {
        limit = Math.max(retention.minBatch, Math.floor(limit / 2));
      } else if (onLoop && ms < retention.batchBudget / 4) {
        limit = Math.min(retention.batch, limit * 2);
      }
      await new Promise((resolve) => setTimeout(resolve, retention.pause));
    }
  };

  const sweep = async () => {
    const removed = await store.trimLogs({
      maxRowsPerDaemon: options.maxRowsPerDaemon ?? defaults.maxRowsPerDaemon,
      maxAgeMs: options.maxAgeMs ?? defaults.maxAge,
      now: clock.now(),
    });
    await trimEventsInBatches();
    options.onSweep?.(removed);
    return removed;
  };

  const tick = async () => {
    timer = undefined;
    try {
      await sweep();
    } catch (thrown) {
      try {
        options.onError?.(coerceError(thrown));
      } catch {
        // The sweeper outlives its observers.
      }
    }
    if (!stopped) {
      timer = clock.setTimeout(() => void tick(), interval);
      (timer as { unref?: () => void }).unref?.();
    }
  };

  timer = clock.setTimeout(() => void tick(), 0);
  return {
    sweep,
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
