/**
 * The ids one subscriber handled most recently: at most `capacity` of them, oldest forgotten
 * first. Lookups are O(1) through a `Set`, kept in step with a ring buffer of the ids in
 * handling order.
 *
 * The set is built lazily, the first time `has` is asked. Ids the bus generates never repeat,
 * so a repeat is only possible once some caller has published with its own `id`, and until then
 * the bus never asks. Until that moment a generated id is recorded by its seq, as runs of
 * consecutive seqs (`[start, end]`): a subscriber handling events in publish order extends one
 * run per event — a compare and two field writes, no array write and nothing for the garbage
 * collector to trace — and `generatedId(seq)` turns the seqs back into ids when the set is built.
 * The oldest seqs are forgotten in bulk, once twice `capacity` are held, rather than one per
 * event: `size`, `has` and the set count only the last `capacity`, so nothing outside can tell.
 */
export class DedupMemory {
  // Before the set exists: runs of seqs, oldest at `runHead`; the last run's end is `lastEnd`.
  private runStart: number[] = [];
  private runEnd: number[] = [];
  private runHead = 0;
  private lastEnd = -2;
  private count = 0;
  // Once the set exists: ids in handling order in a ring.
  private set: Set<string> | null = null;
  private readonly ring: string[] = [];
  private next = 0;

  /** Generated seqs are trimmed back to `capacity` only once this many are held. */
  private readonly slack: number;

  constructor(
    private readonly capacity: number,
    private readonly generatedId: (seq: number) => string,
  ) {
    this.slack = capacity * 2;
  }

  /** Whether `id` is among the last `capacity` recorded ids. */
  has(id: string): boolean {
    if (this.capacity === 0) return false;
    if (this.set === null) this.materialize();
    return this.set!.has(id);
  }

  /**
   * Remembers `id`, forgetting the oldest id once `capacity` are held. `generated` says that `id`
   * is the bus's own id for `seq`.
   */
  record(id: string, seq: number, generated: boolean): void {
    const capacity = this.capacity;
    if (capacity === 0) return;
    if (this.set === null && generated) {
      if (seq === this.lastEnd + 1) {
        this.lastEnd = seq;
      } else {
        if (this.runStart.length > this.runHead)
          this.runEnd[this.runStart.length - 1] = this.lastEnd;
        this.runStart.push(seq);
        this.runEnd.push(seq);
        this.lastEnd = seq;
      }
      if (++this.count > this.slack) this.trim();
      return;
    }
    if (this.set === null) this.materialize();
    const set = this.set!;
    // Keep the ring free of repeats so that forgetting an id never forgets a newer copy.
    if (set.has(id)) return;
    set.add(id);
    const ring = this.ring;
    if (ring.length < capacity) {
      ring.push(id);
      return;
    }
    const slot = this.next;
    set.delete(ring[slot]!);
    ring[slot] = id;
    this.next = slot + 1 === capacity ? 0 : slot + 1;
  }

  get size(): number {
    if (this.set !== null) return this.ring.length;
    return this.count < this.capacity ? this.count : this.capacity;
  }

  private endOf(run: number): number {
    return run === this.runStart.length - 1 ? this.lastEnd : this.runEnd[run]!;
  }

  /** Forgets the oldest seqs until `capacity` are held. */
  private trim(): void {
    let excess = this.count - this.capacity;
    if (excess <= 0) return;
    this.count = this.capacity;
    for (;;) {
      const run = this.runHead;
      const start = this.runStart[run]!;
      const length = this.endOf(run) - start + 1;
      if (length > excess) {
        this.runStart[run] = start + excess;
        break;
      }
      excess -= length;
      this.runHead++;
      if (excess === 0) break;
    }
    if (this.runHead >= 1024 && this.runHead * 2 >= this.runStart.length) {
      this.runStart = this.runStart.slice(this.runHead);
      this.runEnd = this.runEnd.slice(this.runHead);
      this.runHead = 0;
    }
  }

  private materialize(): void {
    this.trim();
    const set = new Set<string>();
    for (let run = this.runHead; run < this.runStart.length; run++) {
      const end = this.endOf(run);
      for (let seq = this.runStart[run]!; seq <= end; seq++) {
        const id = this.generatedId(seq);
        if (set.has(id)) continue;
        set.add(id);
        this.ring.push(id);
      }
    }
    this.set = set;
    this.next = 0; // the ring is in handling order: its oldest id is first
    this.runStart = [];
    this.runEnd = [];
    this.runHead = 0;
    this.count = 0;
  }
}
