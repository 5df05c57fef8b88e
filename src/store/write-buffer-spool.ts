/**
 * Where a write buffer's rows go and come from: into memory while they fit the bound and the
 * budget, else into the spool (always there once it holds rows, so order is kept), else into
 * memory with the oldest dropped; batches are taken from memory first, then from the spool; and at
 * close, the rows still in memory spill to the front of the spool, for the next process.
 */
import type { SpoolQueue } from "./outage-buffer.js";
import type { BufferedRows } from "./write-buffer-rows.js";

/** A batch to write; `through` is the spool's id to remove once written (null: from memory). */
export interface Batch<T> {
  rows: T[];
  through: number | null;
}

export interface BufferSpool<T> {
  /** Keeps `row` (may throw the spool's `StoreUnavailableError` when it is full). */
  keep(row: T): void;
  /** The next batch: the oldest rows in memory, else the oldest in the spool. */
  nextBatch(): Batch<T>;
  /** The batch is written (or dropped): its budget is given back, or it leaves the spool. */
  settle(batch: Batch<T>): void;
  /** At close: rows still in memory go before the spooled ones, for the next process. */
  spill(): void;
}

export function createBufferSpool<T>(rows: BufferedRows<T>, maxBatch: number): BufferSpool<T> {
  const { pending, counts, overflow, maxBuffered, size, spool } = rows;

  /**
   * Keeps `row`: in memory while it fits, else in the spool (always there once the spool holds
   * rows, so order is kept), else in memory with the oldest rows dropped to make room.
   */
  const keep = (row: T) => {
    if (!overflow) {
      pending.add(row);
      rows.enforceBound();
      return;
    }
    const queue = spool();
    if (queue && queue.count() > 0) return queue.append([row]);
    const need = overflow.sizeOf(row);
    const fits = size() + counts.inFlight < maxBuffered;
    if (fits && overflow.budget.take(need)) return rows.hold(row, need);
    if (queue) return queue.append([row]);
    let taken = overflow.budget.take(need);
    while (!taken && size() > 0) {
      const oldest = pending.dropOldest(1);
      rows.release(oldest);
      rows.drop(oldest.length, "overflow");
      taken = overflow.budget.take(need);
    }
    // Alone, it may still not fit: it is kept anyway (the newest row is never the one dropped).
    if (!taken) overflow.budget.force(need);
    rows.hold(row, need);
    rows.enforceBound();
  };

  const nextBatch = (): Batch<T> => {
    if (size() > 0) return { rows: pending.take(maxBatch), through: null };
    const queue = spool() as SpoolQueue<T>;
    return queue.peek(maxBatch);
  };

  const settle = (batch: Batch<T>) => {
    if (batch.through === null) rows.release(batch.rows);
    else spool()?.remove(batch.through);
  };

  const spill = () => {
    const queue = spool();
    if (!queue || size() === 0) return;
    const taken = pending.take(size());
    try {
      queue.prepend(taken);
      rows.release(taken);
    } catch {
      pending.putBack(taken);
    }
  };

  return { keep, nextBatch, settle, spill };
}
