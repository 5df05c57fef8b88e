import type { DeadLetter } from "./types.js";

/**
 * The dead-letter list: at most `capacity` letters, oldest first; adding to a full list drops
 * the oldest letter and counts it in `dropped`. Lookup and removal by id are O(1) (a `Map` keeps
 * insertion order, so its first key is always the oldest letter).
 */
export class DeadLetterList<Owner> {
  private readonly letters = new Map<string, { letter: DeadLetter; owner: Owner }>();
  /** Letters dropped because the list was full. */
  dropped = 0;

  constructor(private readonly capacity: number) {}

  /** Adds `letter`, owned by `owner` (the mailbox it came from); returns false if capacity is 0. */
  add(letter: DeadLetter, owner: Owner): boolean {
    if (this.capacity <= 0) {
      this.dropped++;
      return false;
    }
    while (this.letters.size >= this.capacity) {
      const oldest = this.letters.keys().next().value as string;
      this.letters.delete(oldest);
      this.dropped++;
    }
    this.letters.set(letter.id, { letter, owner });
    return true;
  }

  get(id: string): { letter: DeadLetter; owner: Owner } | undefined {
    return this.letters.get(id);
  }

  delete(id: string): boolean {
    return this.letters.delete(id);
  }

  list(): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const entry of this.letters.values()) out.push(entry.letter);
    return out;
  }

  get size(): number {
    return this.letters.size;
  }
}
