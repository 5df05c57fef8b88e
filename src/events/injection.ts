/**
 * Durable injection: `EventBus.inject`, the entry point through which durable delivery
 * (`durable.ts`) feeds declared mailboxes with events read from the store, in the store's order.
 * An injected event keeps its stored id, so dedup looks ids up from then on; it is subject to
 * dedup and mailbox capacity like a published one.
 */
import type { EventEnvelope } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { enqueue } from "./routing.js";

/** Queues `event` for declared `subscriber`; false if it or the event's type is not declared. */
export function inject(core: BusCore, subscriber: string, event: EventEnvelope<string>): boolean {
  const mailbox = core.mailboxes.get(subscriber);
  if (mailbox === undefined || mailbox.removed || mailbox.kind !== "declared") return false;
  const queue = mailbox.queue(event.type);
  if (!queue.declared) return false;
  core.dedupActive = true;
  core.supplied.add(event);
  enqueue(core, queue, event);
  return true;
}
