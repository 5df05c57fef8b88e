/**
 * The rows a write buffer holds in memory, oldest first: a list, or a map by key where the latest
 * row of a key wins.
 */

/** The rows waiting to be written, oldest first: a list, or by key (latest wins) when keyed. */
export interface PendingRows<T> {
  size(): number;
  /** Appends `row`; keyed, it replaces (and moves behind the others) a row with its key. */
  add(row: T): void;
  /** Removes and returns up to `max` of the oldest rows. */
  take(max: number): T[];
  /** Puts a failed batch back at the front; a newer row with the same key wins over it. */
  putBack(batch: T[]): void;
  /** Removes up to `count` of the oldest rows and returns them. */
  dropOldest(count: number): T[];
}

export function createPendingRows<T>(keyOf: ((row: T) => string) | undefined): PendingRows<T> {
  // Unkeyed rows live in `list` from `head` on (taking from the front costs nothing until the
  // taken part is compacted away); keyed rows in `map` (insertion order = write order).
  let list: T[] = [];
  let head = 0;
  let map = new Map<string, T>();
  const shift = (count: number): T[] => {
    const taken = list.slice(head, head + count);
    head += taken.length;
    if (head === list.length) {
      list = [];
      head = 0;
    } else if (head > 4096 && head * 2 > list.length) {
      list = list.slice(head);
      head = 0;
    }
    return taken;
  };
  return {
    size: () => (keyOf ? map.size : list.length - head),
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
        if (max >= map.size) {
          // All of them (the usual flush): a new map, not a delete per key and the rehashes of
          // a shrinking one.
          const all = [...map.values()];
          map = new Map();
          return all;
        }
        const batch: T[] = [];
        for (const [key, row] of map) {
          if (batch.length >= max) break;
          batch.push(row);
          map.delete(key);
        }
        return batch;
      }
      return shift(max);
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
        list = batch.concat(list.slice(head));
        head = 0;
      }
    },
    dropOldest(count) {
      if (keyOf) {
        const dropped: T[] = [];
        for (const [key, row] of map) {
          if (dropped.length >= count) break;
          map.delete(key);
          dropped.push(row);
        }
        return dropped;
      }
      return shift(count);
    },
  };
}
