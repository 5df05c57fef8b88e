/**
 * The batching writer behind `Store.writes`: rows pushed without blocking, written in batches,
 * retried with backoff while the database is unreachable, bounded, every drop reported. Its
 * options, its handle and their composition here; the rows it holds and counts in
 * write-buffer-rows.ts, where rows go (memory, spool) in write-buffer-spool.ts, and the flush loop
 * with its retries in write-buffer-flush.ts.
 */
import { type Clock, systemClock } from "../internal/clock.js";
import { describeError } from "../internal/errors.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { StoreUnavailableError } from "./errors.js";
import { createFlushLoop } from "./write-buffer-flush.js";
import { type BufferOverflow, createBufferedRows, type DropReason } from "./write-buffer-rows.js";
import { createBufferSpool } from "./write-buffer-spool.js";

export type { DropReason } from "./write-buffer-rows.js";

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
   * unbounded unless given (the memory budget bounds it); with `key`, unbounded unless given (one
   * row per key: the keys bound it, and the oldest row of a key is its only one).
   */
  maxBuffered?: number;
  /**
   * Unkeyed buffers: rows in memory also count against a byte `budget` shared with the store's
   * other buffers; beyond it they go to the `spool` queue (once the store has opened it) and are
   * written from there, in order, after the rows in memory. Without a spool, the oldest rows are
   * dropped to make room. A full spool refuses rows (`StoreUnavailableError`, counted).
   */
  overflow?: BufferOverflow<T>;
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
  const maxBatch = Math.max(1, options.maxBatch ?? defaults.maxBatch);
  const overflow = options.key ? undefined : options.overflow;
  // A keyed buffer holds one row per key, so its keys bound it; dropping its oldest rows would
  // lose those keys' only rows (a fleet of 10,000 daemons starting at once lost 9,000 records).
  const unbounded = overflow !== undefined || options.key !== undefined;
  const maxBuffered = Math.max(
    maxBatch,
    options.maxBuffered ?? (unbounded ? Number.POSITIVE_INFINITY : defaults.maxBuffered),
  );
  let closed = false;

  const rows = createBufferedRows<T>({
    key: options.key,
    overflow,
    maxBuffered,
    onDrop: options.onDrop,
  });
  const { counts, size, spooled, drop } = rows;
  const spool = createBufferSpool(rows, maxBatch);
  const loop = createFlushLoop({
    rows,
    spool,
    write: options.write,
    clock: options.clock ?? systemClock,
    flushInterval: options.flushInterval ?? defaults.flushInterval,
    retry: options.retry ?? defaults.retry,
    isRetryable: options.isRetryable,
    onStateChange: options.onStateChange,
    closed: () => closed,
  });
  const { drain } = loop;

  const accept = (row: T) => {
    if (closed) {
      drop(1, "closed");
      return;
    }
    try {
      spool.keep(row);
    } catch (thrown) {
      if (thrown instanceof StoreUnavailableError) drop(1, "refused", thrown);
      throw thrown;
    }
    if (size() >= maxBatch && !loop.retrying() && !loop.draining()) {
      queueMicrotask(() => void drain());
    } else {
      loop.scheduleFlush();
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
      const draining = loop.draining();
      if (draining) await draining;
      if (size() + spooled() === 0) return;
      const ok = await drain();
      if (!ok) throw loop.state().lastError ?? new Error("write failed");
    },
    async close() {
      if (!closed) {
        closed = true;
        loop.clearFlushTimer();
        loop.clearRetryTimer();
        const draining = loop.draining();
        if (draining) await draining;
        loop.clearRetryTimer();
        if (size() + spooled() > 0) {
          await drain();
          loop.clearRetryTimer();
        }
        spool.spill();
      }
      return size();
    },
    stats() {
      const { degraded, degradedSince, lastError } = loop.state();
      return {
        buffered: size() + counts.inFlight + spooled(),
        spooled: spooled(),
        bytes: counts.bytes,
        written: counts.written,
        dropped: counts.dropped,
        refused: counts.refused,
        degraded,
        degradedSince,
        lastError: lastError ? describeError(lastError) : null,
      };
    },
  };
}
