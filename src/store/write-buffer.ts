/**
 * The batching writer behind `Store.writes`: rows pushed without blocking, written in batches,
 * retried with backoff while the database is unreachable, bounded, every drop reported.
 */
import { type Clock, systemClock, type TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { StoreUnavailableError } from "./errors.js";
import type { MemoryBudget, SpoolQueue } from "./outage-buffer.js";
import { createPendingRows } from "./pending-rows.js";

/** Why rows were not written: reported to `onDrop`, counted in `dropped` (`refused` apart). */
export type DropReason = "overflow" | "rejected" | "closed" | "refused";

export interface WriteBufferOptions<T> {
  /** Writes one batch; a rejection keeps the rows for a retry (or drops them, see `isRetryable`). */
  write(rows: T[]): Promise<void>;
  clock?: Clock;
  /** ms between the first buffered row and its flush. */
  flushInterval?: number;
  /** Rows per write; reaching it flushes at once. */
  maxBatch?: number;
  /**
   * Rows kept in memory while the database is unreachable; beyond it the oldest are dropped and
   * counted (or, with `overflow.spool`, further rows are spooled). Default 10,000; with `overflow`,
   * unbounded unless given (the memory budget bounds it).
   */
  maxBuffered?: number;
  /**
   * Unkeyed buffers: rows in memory also count against a byte `budget` shared with the store's
   * other buffers; beyond it they go to the `spool` queue (once the store has opened it) and are
   * written from there, in order, after the rows in memory. Without a spool, the oldest rows are
   * dropped to make room. A full spool refuses rows (`StoreUnavailableError`, counted).
   */
  overflow?: {
    budget: MemoryBudget;
    sizeOf(row: T): number;
    spool(): SpoolQueue<T> | undefined;
  };
  /** Coalesces rows: a new row replaces a buffered one with the same key (latest wins). */
  key?: (row: T) => string;
  /** Delays between retries: initialDelay × factor^n, at most maxDelay. */
  retry?: { initialDelay: number; factor: number; maxDelay: number };
  /** False for an error that retrying cannot fix (the database refused the rows): they are dropped and counted. */
  isRetryable?: (error: Error) => boolean;
  /** Told about every drop; never silent. */
  onDrop?: (drop: { count: number; reason: DropReason; error?: Error }) => void;
  /** Told when writes start failing (degraded) and when they succeed again. */
  onStateChange?: (state: { degraded: boolean; error: Error | null }) => void;
}

export interface WriteBufferStats {
  /** Rows waiting (in memory and in the spool), including a batch being written. */
  buffered: number;
  /** Of `buffered`, rows waiting in the spool. */
  spooled: number;
  /** Bytes of the rows in memory (with `overflow`; 0 without). */
  bytes: number;
  written: number;
  /** Rows lost: dropped to make room, refused by the database, pushed after close. */
  dropped: number;
  /** Rows refused because the spool was full (not in `dropped`). */
  refused: number;
  degraded: boolean;
  /** When the current degraded spell began (the clock's ms); null when not degraded. */
  degradedSince: number | null;
  lastError: string | null;
}

/**
 * A batching writer. `push` never blocks and never throws. Rows are written in batches of
 * `maxBatch`, at most `flushInterval` ms after they arrive, one batch at a time, in push order.
 * When a write fails, the batch goes back to the front of the buffer, the buffer reports itself
 * degraded and retries with backoff (250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s … by default); while
 * it waits, rows keep arriving up to `maxBuffered` (and the `overflow` budget), beyond which the
 * oldest are dropped and reported to `onDrop` — or, with a spool, kept there and written after the
 * rows in memory. The first successful write clears the degraded state and drains everything.
 */
export interface WriteBuffer<T> {
  push(row: T): void;
  /** `push`, but throws the {@link StoreUnavailableError} when a full spool refuses the row. */
  accept(row: T): void;
  /** Starts writing what waits (e.g. rows an earlier process left in the spool). */
  resume(): void;
  /** Writes everything buffered now; rejects with the write's error (rows kept) if one fails. */
  flush(): Promise<void>;
  /**
   * Stops the timers and makes one last attempt; rows still in memory then move to the spool when
   * there is one (the next process writes them). Resolves with the rows left in neither.
   */
  close(): Promise<number>;
  stats(): WriteBufferStats;
}

export function createWriteBuffer<T>(options: WriteBufferOptions<T>): WriteBuffer<T> {
  const defaults = STORE_DEFAULTS.writes;
  const clock = options.clock ?? systemClock;
  const flushInterval = options.flushInterval ?? defaults.flushInterval;
  const maxBatch = Math.max(1, options.maxBatch ?? defaults.maxBatch);
  const overflow = options.key ? undefined : options.overflow;
  const maxBuffered = Math.max(
    maxBatch,
    options.maxBuffered ?? (overflow ? Number.POSITIVE_INFINITY : defaults.maxBuffered),
  );
  const retry = options.retry ?? defaults.retry;

  const pending = createPendingRows(options.key);
  /** Bytes each row in memory holds of the budget (with `overflow`). */
  const sizes = new WeakMap<object, number>();
  let bytes = 0;
  let inFlight = 0;
  let written = 0;
  let dropped = 0;
  let refused = 0;
  let degraded = false;
  let degradedSince: number | null = null;
  let lastError: Error | null = null;
  let retryDelay = retry.initialDelay;
  let flushTimer: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let draining: Promise<boolean> | undefined;
  let closed = false;

  const size = () => pending.size();
  const spool = () => overflow?.spool();
  const spooled = () => spool()?.count() ?? 0;

  const drop = (count: number, reason: DropReason, error?: Error) => {
    if (count <= 0) return;
    if (reason === "refused") refused += count;
    else dropped += count;
    safely(() => options.onDrop?.({ count, reason, ...(error ? { error } : {}) }));
  };

  /** Gives back the budget `rows` held (written or dropped). */
  const release = (rows: readonly T[]) => {
    if (!overflow) return;
    for (const row of rows) {
      const held = isObject(row) ? (sizes.get(row) ?? 0) : overflow.sizeOf(row);
      bytes -= held;
      overflow.budget.give(held);
    }
  };

  const setDegraded = (value: boolean, error: Error | null) => {
    lastError = error ?? lastError;
    if (degraded === value) return;
    degraded = value;
    degradedSince = value ? clock.now() : null;
    safely(() => options.onStateChange?.({ degraded: value, error }));
  };

  /** Drops the oldest rows beyond the bound (counting the batch in flight). */
  const enforceBound = () => {
    const excess = size() + inFlight - maxBuffered;
    if (excess <= 0) return;
    const rows = pending.dropOldest(excess);
    release(rows);
    drop(rows.length, "overflow");
  };

  /**
   * Keeps `row`: in memory while it fits, else in the spool (always there once the spool holds
   * rows, so order is kept), else in memory with the oldest rows dropped to make room.
   */
  const keep = (row: T) => {
    if (!overflow) {
      pending.add(row);
      enforceBound();
      return;
    }
    const queue = spool();
    if (queue && queue.count() > 0) return queue.append([row]);
    const need = overflow.sizeOf(row);
    const fits = size() + inFlight < maxBuffered;
    if (fits && overflow.budget.take(need)) return hold(row, need);
    if (queue) return queue.append([row]);
    let taken = overflow.budget.take(need);
    while (!taken && size() > 0) {
      const oldest = pending.dropOldest(1);
      release(oldest);
      drop(oldest.length, "overflow");
      taken = overflow.budget.take(need);
    }
    // Alone, it may still not fit: it is kept anyway (the newest row is never the one dropped).
    if (!taken) overflow.budget.force(need);
    hold(row, need);
    enforceBound();
  };

  const hold = (row: T, need: number) => {
    if (isObject(row)) sizes.set(row, need);
    bytes += need;
    pending.add(row);
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

  /** The next batch: the oldest rows in memory, else the oldest in the spool. */
  const nextBatch = (): { rows: T[]; through: number | null } => {
    if (size() > 0) return { rows: pending.take(maxBatch), through: null };
    const queue = spool() as SpoolQueue<T>;
    return queue.peek(maxBatch);
  };

  /** Writes batches until nothing waits (true) or a write fails (false). One at a time. */
  const drain = (): Promise<boolean> => {
    if (draining) return draining;
    clearFlushTimer();
    clearRetryTimer();
    draining = (async () => {
      try {
        while (size() > 0 || spooled() > 0) {
          const batch = nextBatch();
          const done = () => {
            if (batch.through === null) release(batch.rows);
            else spool()?.remove(batch.through);
          };
          inFlight = batch.through === null ? batch.rows.length : 0;
          try {
            await options.write(batch.rows);
            inFlight = 0;
            done();
            written += batch.rows.length;
            retryDelay = retry.initialDelay;
            setDegraded(false, null);
          } catch (thrown) {
            inFlight = 0;
            const error = coerceError(thrown);
            if (options.isRetryable && !safeIsRetryable(options.isRetryable, error)) {
              lastError = error;
              done();
              drop(batch.rows.length, "rejected", error);
              continue;
            }
            if (batch.through === null) pending.putBack(batch.rows);
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
        if (size() + spooled() > 0 && retryTimer === undefined) scheduleFlush();
      }
    })();
    return draining;
  };

  const accept = (row: T) => {
    if (closed) {
      drop(1, "closed");
      return;
    }
    try {
      keep(row);
    } catch (thrown) {
      if (thrown instanceof StoreUnavailableError) drop(1, "refused", thrown);
      throw thrown;
    }
    if (size() >= maxBatch && retryTimer === undefined && !draining) {
      queueMicrotask(() => void drain());
    } else {
      scheduleFlush();
    }
  };

  /** At close: rows still in memory go before the spooled ones, for the next process. */
  const spill = () => {
    const queue = spool();
    if (!queue || size() === 0) return;
    const rows = pending.take(size());
    try {
      queue.prepend(rows);
      release(rows);
    } catch {
      pending.putBack(rows);
    }
  };

  return {
    push(row) {
      try {
        accept(row);
      } catch (thrown) {
        // push never throws: a full spool or a broken key function loses this one row, counted.
        if (!(thrown instanceof StoreUnavailableError)) drop(1, "rejected");
      }
    },
    accept,
    resume() {
      if (size() + spooled() > 0 && !closed) void drain();
    },
    async flush() {
      // Waits for a write in progress, then writes whatever remains.
      if (draining) await draining;
      if (size() + spooled() === 0) return;
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
        if (size() + spooled() > 0) {
          await drain();
          clearRetryTimer();
        }
        spill();
      }
      return size();
    },
    stats() {
      return {
        buffered: size() + inFlight + spooled(),
        spooled: spooled(),
        bytes,
        written,
        dropped,
        refused,
        degraded,
        degradedSince,
        lastError: lastError ? describeError(lastError) : null,
      };
    },
  };
}

const isObject = (value: unknown): value is object =>
  (typeof value === "object" && value !== null) || typeof value === "function";

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
