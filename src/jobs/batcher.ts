/**
 * Group commit for one kind of write: `add(item)` resolves with that item's result. While a write
 * is in flight, items added meanwhile wait and go together in the next one (at most `max` per
 * write), so concurrent callers share statements instead of queueing one round trip each, and a
 * lone caller waits for nothing. A failed write rejects every item it carried.
 */
export function createBatcher<I, O>(write: (items: I[]) => Promise<O[]>, max: number) {
  interface Queued {
    item: I;
    resolve(result: O): void;
    reject(error: unknown): void;
  }
  const queue: Queued[] = [];
  let writing = false;

  const drain = async () => {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, max);
        try {
          const results = await write(batch.map((q) => q.item));
          batch.forEach((q, i) => {
            q.resolve(results[i] as O);
          });
        } catch (thrown) {
          for (const q of batch) q.reject(thrown);
        }
      }
    } finally {
      writing = false;
    }
  };

  return {
    add(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        void drain();
      });
    },
  };
}
