/**
 * The journal seam of the bus: the {@link EventJournal} hooks a durable store implements, and
 * the three guarded calls the bus makes to them.
 */

import type { EventEnvelope } from "../registry/types.js";
import { StoreUnavailableError } from "../store/errors.js";
import type { BusCore } from "./bus-core.js";
import type { DeadLetter } from "./types.js";

/**
 * The seam for a durable bus (DESIGN.md §5: events appended with a sequence number, a cursor per
 * subscriber, resuming after a process restart). The in-memory bus calls these hooks; it never
 * waits for them. Durable delivery (`durable.ts`) implements them with a batching writer:
 *
 * - `published`: append the event (its `seq` is the bus's publish order) — called once per
 *   publish, after id, seq and time are assigned and before any subscriber can see the event.
 * - `handled`: advance `subscriber`'s cursor past `event` — called after every handler of that
 *   subscriber for the event has succeeded (not for duplicates skipped by dedup, not for dead
 *   letters). Calls for one subscriber come in its delivery order.
 * - `deadLettered`: persist the dead letter (optional).
 *
 * Resuming is the other half, done by durable delivery (`durable.ts`): the bus is created with
 * `external: true`, so declared subscribers are fed only by `inject`, from the store, after their
 * cursor. A hook that throws or rejects is reported to `onError` with context `"journal"`; the
 * bus carries on.
 */
export interface EventJournal {
  published(event: EventEnvelope<string>): void | Promise<void>;
  handled(subscriber: string, event: EventEnvelope<string>): void | Promise<void>;
  deadLettered?(letter: DeadLetter): void | Promise<void>;
}

/**
 * Calls `journal.published(event)` if the bus has a journal. A hook that throws or rejects is
 * reported with context `"journal"` and never reaches the caller; nothing waits for it — except a
 * {@link StoreUnavailableError} thrown at once, the store's refusal, which reaches the publisher.
 */
export function journalPublished(core: BusCore, event: EventEnvelope<string>): void {
  const journal = core.journal;
  if (journal === null) return;
  try {
    settled(core, journal.published(event));
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    core.report(error, "journal");
  }
}

/** Calls `journal.handled(subscriber, event)`, as {@link journalPublished} does. */
export function journalHandled(
  core: BusCore,
  subscriber: string,
  event: EventEnvelope<string>,
): void {
  const journal = core.journal;
  if (journal === null) return;
  try {
    settled(core, journal.handled(subscriber, event));
  } catch (error) {
    core.report(error, "journal");
  }
}

/** Calls `journal.deadLettered(letter)` if the journal has that hook, as {@link journalPublished}. */
export function journalDeadLettered(core: BusCore, letter: DeadLetter): void {
  const journal = core.journal;
  if (journal === null || journal.deadLettered === undefined) return;
  try {
    settled(core, journal.deadLettered(letter));
  } catch (error) {
    core.report(error, "journal");
  }
}

function settled(core: BusCore, result: void | Promise<void>): void {
  if (result !== undefined && typeof result.then === "function") {
    result.then(undefined, (error) => core.report(error, "journal"));
  }
}
