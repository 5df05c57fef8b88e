/**
 * Subscribers and their mailboxes: creating a mailbox, declaring its types (a daemon's
 * `subscribes`), attaching and detaching handlers, opening and closing delivery, and removing a
 * mailbox. Every change that alters what a queue should receive updates the routing table.
 *
 * A declared type collects events while no handler is attached; an undeclared one (`attach` of
 * another type, or to a name nobody declared, which creates an open mailbox that stays) gets
 * events published from attaching on, and drops what waits when its last handler leaves.
 */
import type { EventHandler } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { bindCallbacks } from "./delivery.js";
import { checkIdle } from "./idle.js";
import { Mailbox, type MailboxKind, type TypeQueue } from "./mailbox.js";
import { cancelRetry, clearCurrent } from "./retries.js";
import { settle } from "./routing.js";

export function createMailbox(
  core: BusCore,
  name: string,
  kind: MailboxKind,
  open: boolean,
): Mailbox {
  const mailbox = new Mailbox(name, kind, open, core.dedupWindow, core.nextEventId);
  bindCallbacks(core, mailbox);
  core.mailboxes.set(name, mailbox);
  return mailbox;
}

/** `EventBus.declare`: creates the mailbox (closed) or makes it declared; adds new types. */
export function declare(core: BusCore, subscriber: string, types: readonly string[]): void {
  let mailbox = core.mailboxes.get(subscriber);
  if (mailbox === undefined) mailbox = createMailbox(core, subscriber, "declared", false);
  else mailbox.kind = "declared";
  for (const type of types) {
    const queue = mailbox.queue(type);
    if (queue.declared) continue;
    queue.declared = true;
    core.routes.update(queue, core.external);
  }
}

/** `EventBus.attach`: the returned function detaches this handler once (later calls do nothing). */
export function attach(
  core: BusCore,
  subscriber: string,
  type: string,
  handler: EventHandler<string>,
): () => void {
  const mailbox =
    core.mailboxes.get(subscriber) ?? createMailbox(core, subscriber, "attached", true);
  const queue = mailbox.queue(type);
  queue.handlers = [...queue.handlers, handler];
  core.routes.update(queue, core.external);
  if (core.canStart(mailbox) && queue.head < queue.tail) core.schedule(mailbox);
  const generation = mailbox.generation;
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    settle(core);
    detachHandler(core, queue, handler, generation);
  };
}

/** `EventBus.detachAll`: a detach function from before this call does nothing afterwards. */
export function detachAll(core: BusCore, subscriber: string): void {
  const mailbox = core.mailboxes.get(subscriber);
  if (mailbox === undefined) return;
  mailbox.generation++;
  for (const queue of mailbox.queues) {
    if (queue.handlers.length === 0) continue;
    queue.handlers = [];
    afterLastHandler(core, queue);
  }
}

/** `EventBus.setOpen`: closing cancels a waiting retry (the event stays first in line). */
export function setOpen(core: BusCore, subscriber: string, open: boolean): void {
  let mailbox = core.mailboxes.get(subscriber);
  if (mailbox === undefined) mailbox = createMailbox(core, subscriber, "declared", open);
  mailbox.open = open;
  if (open) {
    if (core.canStart(mailbox) && mailbox.hasDeliverable()) core.schedule(mailbox);
  } else {
    cancelRetry(core, mailbox);
    if (core.idleWaiters.length !== 0) checkIdle(core);
  }
}

/** `EventBus.depth`. */
export function depth(core: BusCore, subscriber: string, deliverable: boolean): number {
  const mailbox = core.mailboxes.get(subscriber);
  if (!mailbox) return 0;
  return deliverable ? mailbox.deliverableDepth() : mailbox.depth;
}

/** Removes `mailbox` for good (an ended subscription): no routes, no retry, no dead-letter retry. */
export function removeMailbox(core: BusCore, mailbox: Mailbox): void {
  if (mailbox.removed) return;
  mailbox.removed = true;
  cancelRetry(core, mailbox);
  if (!mailbox.running) clearCurrent(mailbox);
  for (const queue of mailbox.queues) {
    queue.handlers = [];
    queue.declared = false;
    core.routes.update(queue, core.external);
  }
  core.mailboxes.delete(mailbox.name);
  if (core.idleWaiters.length !== 0) checkIdle(core);
}

function detachHandler(
  core: BusCore,
  queue: TypeQueue,
  handler: EventHandler<string>,
  generation: number,
): void {
  const mailbox = queue.mailbox;
  if (mailbox.generation !== generation) return;
  const index = queue.handlers.indexOf(handler);
  if (index === -1) return;
  queue.handlers = queue.handlers.filter((_, i) => i !== index);
  if (queue.handlers.length === 0) afterLastHandler(core, queue);
}

function afterLastHandler(core: BusCore, queue: TypeQueue): void {
  const mailbox = queue.mailbox;
  if (mailbox.currentQueue === queue) cancelRetry(core, mailbox);
  if (!queue.declared) mailbox.clear(queue);
  core.routes.update(queue, core.external);
  if (core.idleWaiters.length !== 0) checkIdle(core);
}
