/**
 * The outage buffer's shared parts: the memory budget (bytes of serialized rows, shared by every
 * write buffer of a store) and a typed queue over the spool, which the write buffers use for the
 * rows beyond the budget.
 */
import type { Spool, SpooledRow } from "./spool.js";

/**
 * Bytes of rows waiting in memory, shared by the write buffers of one store, at most `maxBytes`.
 * `take` reserves room for a row (false when it does not fit), `give` returns it once the row was
 * written or dropped.
 */
export interface MemoryBudget {
  readonly maxBytes: number;
  used(): number;
  take(bytes: number): boolean;
  /** Reserves `bytes` even beyond `maxBytes`. */
  force(bytes: number): void;
  give(bytes: number): void;
}

export function createMemoryBudget(maxBytes: number): MemoryBudget {
  let used = 0;
  return {
    maxBytes,
    used: () => used,
    take(bytes) {
      if (used + bytes > maxBytes) return false;
      used += bytes;
      return true;
    },
    force(bytes) {
      used += bytes;
    },
    give(bytes) {
      used = Math.max(0, used - bytes);
    },
  };
}

/** One write buffer's queue in the spool, rows encoded as JSON. */
export interface SpoolQueue<T> {
  count(): number;
  /** Throws a `StoreUnavailableError` when the spool is full (nothing appended). */
  append(rows: readonly T[]): void;
  prepend(rows: readonly T[]): void;
  /** The oldest rows, and the id to pass to `remove` once they are written. */
  peek(limit: number): { rows: T[]; through: number };
  remove(through: number): void;
}

export function spoolQueue<T>(spool: Spool, name: string): SpoolQueue<T> {
  const encode = (rows: readonly T[]) => rows.map((row) => JSON.stringify(row));
  return {
    count: () => spool.count(name),
    append: (rows) => spool.append(name, encode(rows)),
    prepend: (rows) => spool.prepend(name, encode(rows)),
    peek(limit) {
      const spooled: SpooledRow[] = spool.peek(name, limit);
      return {
        rows: spooled.map((r) => JSON.parse(r.body) as T),
        through: spooled.length > 0 ? (spooled[spooled.length - 1] as SpooledRow).id : 0,
      };
    },
    remove: (through) => spool.remove(name, through),
  };
}
