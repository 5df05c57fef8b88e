/**
 * What a write buffer holds and counts: the rows waiting in memory (pending-rows.ts), the bytes
 * they hold of the shared memory budget, the batch in flight, the bound on them (oldest dropped),
 * and the written / dropped / refused counts, every drop reported.
 */
import type { MemoryBudget, SpoolQueue } from "./outage-buffer.js";
import { createPendingRows, type PendingRows } from "./pending-rows.js";

/** Why rows were not written: reported to `onDrop`, counted in `dropped` (`refused` apart). */
export type DropReason = "overflow" | "rejected" | "closed" | "refused";

/** The memory budget and spool of an unkeyed buffer (`WriteBufferOptions.overflow`). */
export interface BufferOverflow<T> {
  budget: MemoryBudget;
  sizeOf(row: T): number;
  spool(): SpoolQueue<T> | undefined;
}

/** The buffer's counts, read by `stats()`; `inFlight` and `written` are the flush loop's to set. */
export interface BufferCounts {
  /** Bytes of the rows in memory (with `overflow`). */
  bytes: number;
  /** Rows of the batch being written (from memory). */
  inFlight: number;
  written: number;
  dropped: number;
  refused: number;
}

export interface BufferedRows<T> {
  readonly pending: PendingRows<T>;
  readonly counts: BufferCounts;
  readonly overflow: BufferOverflow<T> | undefined;
  readonly maxBuffered: number;
  /** Rows in memory (not counting the batch in flight). */
  size(): number;
  /** The spool queue, once the store has opened it. */
  spool(): SpoolQueue<T> | undefined;
  /** Rows waiting in the spool. */
  spooled(): number;
  /** Counts `count` rows lost (or refused) and tells `onDrop`. */
  drop(count: number, reason: DropReason, error?: Error): void;
  /** Gives back the budget `rows` held (written or dropped). */
  release(rows: readonly T[]): void;
  /** Keeps `row` in memory, holding `need` bytes of the budget. */
  hold(row: T, need: number): void;
  /** Drops the oldest rows beyond the bound (counting the batch in flight). */
  enforceBound(): void;
}

export function createBufferedRows<T>(deps: {
  key: ((row: T) => string) | undefined;
  overflow: BufferOverflow<T> | undefined;
  maxBuffered: number;
  onDrop: ((drop: { count: number; reason: DropReason; error?: Error }) => void) | undefined;
}): BufferedRows<T> {
  const { overflow, maxBuffered, onDrop } = deps;
  const pending = createPendingRows(deps.key);
  /**
   * Bytes each row in memory holds of the budget (with `overflow`). A row's entry is deleted when
   * it is released: a WeakMap's table only shrinks on deletes, so entries left for the collector
   * would keep an outage's high-water mark (2 MB after a 14 MB outage) for the life of the process.
   */
  const sizes = new WeakMap<object, number>();
  const counts: BufferCounts = { bytes: 0, inFlight: 0, written: 0, dropped: 0, refused: 0 };

  const size = () => pending.size();
  const spool = () => overflow?.spool();
  const spooled = () => spool()?.count() ?? 0;

  const drop = (count: number, reason: DropReason, error?: Error) => {
    if (count <= 0) return;
    if (reason === "refused") counts.refused += count;
    else counts.dropped += count;
    safely(() => onDrop?.({ count, reason, ...(error ? { error } : {}) }));
  };

  const release = (rows: readonly T[]) => {
    if (!overflow) return;
    for (const row of rows) {
      let held: number;
      if (isObject(row)) {
        held = sizes.get(row) ?? 0;
        sizes.delete(row);
      } else held = overflow.sizeOf(row);
      counts.bytes -= held;
      overflow.budget.give(held);
    }
  };

  const hold = (row: T, need: number) => {
    if (isObject(row)) sizes.set(row, need);
    counts.bytes += need;
    pending.add(row);
  };

  const enforceBound = () => {
    const excess = size() + counts.inFlight - maxBuffered;
    if (excess <= 0) return;
    const rows = pending.dropOldest(excess);
    release(rows);
    drop(rows.length, "overflow");
  };

  return {
    pending,
    counts,
    overflow,
    maxBuffered,
    size,
    spool,
    spooled,
    drop,
    release,
    hold,
    enforceBound,
  };
}

const isObject = (value: unknown): value is object =>
  (typeof value === "object" && value !== null) || typeof value === "function";

/** Runs a caller's callback: one that throws must not break the writer. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The callback's error is its own.
  }
}
