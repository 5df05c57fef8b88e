/**
 * The batching writer behind `Store.writes`: rows pushed without blocking, written in batches,
 * retried with backoff while the database is unreachable, bounded, every drop reported.
 */
import { type Clock, systemClock, type TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { STORE_DEFAULTS } from "./defaults.js";

export interface WriteBufferOptions<T> {
  /** Writes one batch; a rejection keeps the rows for a retry (or drops them, see `isRetryable`). */
  write(rows: T[]): Promise<void>;
  clock?: Clock;
  /** ms between the first buffered row and its flush. */
  flushInterval?: number;
  /** Rows per write; reaching it flushes at once. */
  maxBatch?: number;
  /** Rows kept while the database is unreachable; beyond it the oldest are dropped and counted. */
  maxBuffered?: number;
  /** Coalesces rows: a new row replaces a buffered one with the same key (latest wins). */
  key?: (row: T) => string;
  /** Delays between retries: initialDelay × factor^n, at most maxDelay. */
  retry?: { initialDelay: number; factor: number; maxDelay: number };
  /** False for an error that retrying cannot fix (the database refused the rows): they are dropped and counted. */
  isRetryable?: (error: Error) => boolean;
  /** Told about every drop; never silent. */
  onDrop?: (drop: {
    count: number;
    reason: "overflow" | "rejected" | "closed";
    error?: Error;
  }) => void;
  /** Told when writes start failing (degraded) and when they succeed again. */
  onStateChange?: (state: { degraded: boolean; error: Error | null }) => void;
}

export interface WriteBufferStats {
  /** Rows waiting, including a batch being written. */
  buffered: number;
  written: number;
  dropped: number;
  degraded: boolean;
  lastError: string | null;
}

/**
 * A batching writer. `push` never blocks and never throws. Rows are written in batches of
 * `maxBatch`, at most `flushInterval` ms after they arrive, one batch at a time, in push order.
 * When a write fails, the batch goes back to the front of the buffer, the buffer reports itself
 * degraded and retries with backoff (250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s … by default); while
 * it waits, rows keep arriving up to `maxBuffered`, beyond which the oldest are dropped and reported
 * to `onDrop`. The first successful write clears the degraded state and drains everything.
 */
export interface WriteBuffer<T> {
  push(row: T): void;
  /** Writes everything buffered now; rejects with the write's error (rows kept) if one fails. */
  flush(): Promise<void>;
  /** Stops the timers and makes one last attempt; resolves with the rows left unwritten. */
  close(): Promise<number>;
  stats(): WriteBufferStats;
}

export function createWriteBuffer<T>(options: WriteBufferOptions<T>): WriteBuffer<T> {
  const defaults = STORE_DEFAULTS.writes;
  const clock = options.clock ?? systemClock;
  const flushInterval = options.flushInterval ?? defaults.flushInterval;
  const maxBatch = Math.max(1, options.maxBatch ?? defaults.maxBatch);
  const maxBuffered = Math.max(maxBatch, options.maxBuffered ?? defaults.maxBuffered);
  const retry = options.retry ?? defaults.retry;

  const pending = createPendingRows(options.key);
  let inFlight = 0;
  let written = 0;
  let dropped = 0;
  let degraded = false;
  let lastError: Error | null = null;
  let retryDelay = retry.initialDelay;
  let flushTimer: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let draining: Promise<boolean> | undefined;
  let closed = false;

  const size = () => pending.size();

  const drop = (count: number, reason: "overflow" | "rejected" | "closed", error?: Error) => {
    if (count <= 0) return;
    dropped += count;
    safely(() => options.onDrop?.({ count, reason, ...(error ? { error } : {}) }));
  };

  const setDegraded = (value: boolean, error: Error | null) => {
    lastError = error ?? lastError;
    if (degraded === value) return;
    degraded = value;
    safely(() => options.onStateChange?.({ degraded: value, error }));
  };

  /** Drops the oldest rows beyond the bound (counting the batch in flight). */
  const enforceBound = () => {
    const excess = size() + inFlight - maxBuffered;
    if (excess > 0) drop(pending.dropOldest(excess), "overflow");
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
    if (closed || flushTimer !== undefined || retryTimer !== undefined || draining) return;
    flushTimer = clock.setTimeout(() => {
      flushTimer = undefined;
      void drain();
    }, flushInterval);
  };

  const scheduleRetry = () => {
    if (closed || retryTimer !== undefined) return;
    const delay = retryDelay;
    retryDelay = Math.min(retry.maxDelay, retryDelay * retry.factor);
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      void drain();
    }, delay);
  };

  /** Writes batches until the buffer is empty (true) or a write fails (false). One at a time. */
  const drain = (): Promise<boolean> => {
    if (draining) return draining;
    clearFlushTimer();
    clearRetryTimer();
    draining = (async () => {
      try {
        while (size() > 0) {
          const batch = pending.take(maxBatch);
          inFlight = batch.length;
          try {
            await options.write(batch);
            inFlight = 0;
            written += batch.length;
            retryDelay = retry.initialDelay;
            setDegraded(false, null);
          } catch (thrown) {
            inFlight = 0;
            const error = coerceError(thrown);
            if (options.isRetryable && !safeIsRetryable(options.isRetryable, error)) {
              lastError = error;
              drop(batch.length, "rejected", error);
              continue;
            }
            pending.putBack(batch);
            enforceBound();
            setDegraded(true, error);
            scheduleRetry();
            return false;
          }
        }
        return true;
      } finally {
        draining = undefined;
        // Rows pushed during the last write of a successful drain wait for the next flush.
        if (size() > 0 && retryTimer === undefined) scheduleFlush();
      }
    })();
    return draining;
  };

  return {
    push(row) {
      try {
        if (closed) {
          drop(1, "closed");
          return;
        }
        pending.add(row);
        enforceBound();
        if (size() >= maxBatch && retryTimer === undefined && !draining) {
          queueMicrotask(() => void drain());
        } else {
          scheduleFlush();
        }
      } catch {
        // push never throws: a broken key function loses this one row, counted.
        drop(1, "rejected");
      }
    },
    async flush() {
      // Waits for a write in progress, then writes whatever remains.
      if (draining) await draining;
      if (size() === 0) return;
      const ok = await drain();
      if (!ok) throw lastError ?? new Error("write failed");
    },
    async close() {
      if (!closed) {
        closed = true;
        clearFlushTimer();
        clearRetryTimer();
        if (draining) await draining;
        clearRetryTimer();
        if (size() > 0) {
          await drain();
          clearRetryTimer();
        }
      }
      return size();
    },
    stats() {
      return {
        buffered: size() + inFlight,
        written,
        dropped,
        degraded,
        lastError: lastError ? describeError(lastError) : null,
      };
    },
  };
}

/** Runs a caller's callback: one that throws must not break the writer. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The callback's error is its own.
  }
}

function safeIsRetryable(fn: (error: Error) => boolean, error: Error): boolean {
  try {
    return fn(error);
  } catch {
    return true;
  }
}

/** The rows waiting to be written, oldest first: a list, or by key (latest wins) when keyed. */
interface PendingRows<T> {
  size(): number;
  /** Appends `row`; keyed, it replaces (and moves behind the others) a row with its key. */
  add(row: T): void;
  /** Removes and returns up to `max` of the oldest rows. */
  take(max: number): T[];
  /** Puts a failed batch back at the front; a newer row with the same key wins over it. */
  putBack(batch: T[]): void;
  /** Removes up to `count` of the oldest rows; returns how many it removed. */
  dropOldest(count: number): number;
}

function createPendingRows<T>(keyOf: ((row: T) => string) | undefined): PendingRows<T> {
  // Unkeyed rows live in `list`; keyed rows in `map` (insertion order = write order).
  let list: T[] = [];
  let map = new Map<string, T>();
  return {
    size: () => (keyOf ? map.size : list.length),
    add(row) {
      if (keyOf) {
        const key = keyOf(row);
        map.delete(key);
        map.set(key, row);
      } else {
        list.push(row);
      }
    },
    take(max) {
      if (keyOf) {
        const batch: T[] = [];
        for (const [key, row] of map) {
          if (batch.length >= max) break;
          batch.push(row);
          map.delete(key);
        }
        return batch;
      }
      const batch = list.slice(0, max);
      list = list.slice(batch.length);
      return batch;
    },
    putBack(batch) {
      if (keyOf) {
        const next = new Map<string, T>();
        for (const row of batch) {
          const key = keyOf(row);
          if (!map.has(key)) next.set(key, row);
        }
        for (const [key, row] of map) next.set(key, row);
        map = next;
      } else {
        list = batch.concat(list);
      }
    },
    dropOldest(count) {
      if (keyOf) {
        let n = 0;
        for (const key of map.keys()) {
          if (n >= count) break;
          map.delete(key);
          n++;
        }
        return n;
      }
      const n = Math.min(count, list.length);
      list = list.slice(n);
      return n;
    },
  };
}
