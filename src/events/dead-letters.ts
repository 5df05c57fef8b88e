/**
 * Dead letters: the bounded list ({@link DeadLetterList}), how an event becomes one
 * ({@link deadLetter}: a handler failed `maxAttempts` times, or its mailbox was full) and how
 * an operator sends one back ({@link retryDeadLetter}).
 */
import type { EventEnvelope } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { journalDeadLettered } from "./journal.js";
import type { TypeQueue } from "./mailbox.js";
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

/**
 * Dead-letters `event` for `queue`'s subscriber: counted, listed (the list drops its oldest
 * letter when full), persisted through the journal and reported to `dead-letter` observers.
 */
export function deadLetter(
  core: BusCore,
  queue: TypeQueue,
  event: EventEnvelope<string>,
  reason: DeadLetter["reason"],
  error: string,
  attempts: number,
): void {
  core.counters.deadLettered++;
  const letter: DeadLetter = {
    id: `${core.idPrefix}dl${++core.deadLetterCount}`,
    event,
    subscriber: queue.mailbox.name,
    reason,
    error,
    attempts,
    at: core.clock.now(),
  };
  core.deadLetters.add(letter, queue);
  journalDeadLettered(core, letter);
  if (core.observers.deadLetter) core.observers.emitDeadLetter(letter);
}

/**
 * `EventBus.retryDeadLetter`: takes letter `id` off the list and queues its event at the end of
 * its subscriber's mailbox, even a full one (an operator's explicit request), to be delivered even
 * if the subscriber's dedup memory holds its id. False if the letter is unknown or its
 * subscription has ended.
 */
export function retryDeadLetter(core: BusCore, id: string): boolean {
  const entry = core.deadLetters.get(id);
  if (entry === undefined) return false;
  const queue = entry.owner;
  const mailbox = queue.mailbox;
  if (mailbox.removed) return false;
  core.deadLetters.delete(id);
  const event = entry.letter.event;
  mailbox.push(queue, event);
  mailbox.forced ??= new Set();
  mailbox.forced.add(event);
  if (queue.handlers.length !== 0 && core.canStart(mailbox)) core.schedule(mailbox);
  return true;
}
