import type { EventEnvelope } from "../registry/types.js";
import type { DeadLetter } from "./types.js";

/**
 * The seam for a durable bus (DESIGN.md §5: events appended with a sequence number, a cursor per
 * subscriber, resuming after a process restart). The in-memory bus calls these hooks; it never
 * waits for them. A durable store would implement them with a batching writer:
 *
 * - `published`: append the event (its `seq` is the bus's publish order) — called once per
 *   publish, after id, seq and time are assigned and before any subscriber can see the event.
 * - `handled`: advance `subscriber`'s cursor past `event` — called after every handler of that
 *   subscriber for the event has succeeded (not for duplicates skipped by dedup, not for dead
 *   letters). Calls for one subscriber come in its delivery order.
 * - `deadLettered`: persist the dead letter (optional).
 *
 * Resuming after a restart is the other half, left for the durable issue: create the bus with
 * `initialSeq` set to the last stored seq (so seqs keep increasing), declare the subscribers,
 * then put each subscriber's stored events after its cursor into its mailbox. That needs one more
 * entry point, "queue this stored envelope for this subscriber" — what `retryDeadLetter` already
 * does for one event. A hook that throws or rejects is reported to `onError` with context
 * `"journal"`; the bus carries on.
 */
export interface EventJournal {
  published(event: EventEnvelope<string>): void | Promise<void>;
  handled(subscriber: string, event: EventEnvelope<string>): void | Promise<void>;
  deadLettered?(letter: DeadLetter): void | Promise<void>;
}
