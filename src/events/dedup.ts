/**
 * The ids one subscriber handled most recently: at most `capacity` of them, oldest forgotten
 * first. A ring buffer records every handled id; the `Set` that answers `has` in O(1) is built
 * from the ring the first time it is asked and kept in step after that.
 *
 * Why lazy: ids the bus generates never repeat, so a repeat is only possible once some caller
 * has published with its own `id`, and until then the bus never asks. Until the set exists, a
 * generated id is recorded as its seq (a small integer: one array write, nothing for the garbage
 * collector to trace); `generatedId(seq)` turns it back into the id when the set is built.
 */
export class DedupMemory {
  private readonly ring: (string | number)[] = [];
  private next = 0;
  private set: Set<string> | null = null;

  constructor(
    private readonly capacity: number,
    private readonly generatedId: (seq: number) => string,
  ) {}

  /** Whether `id` is among the last `capacity` recorded ids. */
  has(id: string): boolean {
    if (this.capacity === 0) return false;
    if (this.set === null) {
      const set = new Set<string>();
      for (const entry of this.ring) set.add(this.key(entry));
      this.set = set;
    }
    return this.set.has(id);
  }

  /**
   * Remembers `id`, forgetting the oldest id once `capacity` are held. `generated` says that `id`
   * is the bus's own id for `seq`.
   */
  record(id: string, seq: number, generated: boolean): void {
    const capacity = this.capacity;
    if (capacity === 0) return;
    const set = this.set;
    let entry: string | number = id;
    if (set !== null) {
      // Keep the ring free of repeats so that forgetting an id never forgets a newer copy.
      if (set.has(id)) return;
      set.add(id);
    } else if (generated) {
      entry = seq;
    }
    const ring = this.ring;
    if (ring.length < capacity) {
      ring.push(entry);
      return;
    }
    const slot = this.next;
    if (set !== null) set.delete(this.key(ring[slot]!));
    ring[slot] = entry;
    this.next = slot + 1 === capacity ? 0 : slot + 1;
  }

  get size(): number {
    return this.ring.length;
  }

  private key(entry: string | number): string {
    return typeof entry === "number" ? this.generatedId(entry) : entry;
  }
}
