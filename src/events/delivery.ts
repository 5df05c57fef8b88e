/**
 * Delivery: running one subscriber's handlers for its events, in order.
 *
 * Each subscriber drains its mailbox synchronously while its handlers return synchronously, and
 * awaits a handler that returns a promise before the next event; subscribers are independent.
 * The delivery in progress lives on the mailbox (`current`, `handlerIndex`, `attempts`), so it
 * can resume after an async handler settles or a retry timer fires (see `retries.ts`). Each
 * subscriber skips an event whose id its dedup memory holds, counting it in `duplicates`, unless
 * the event is a re-queued dead letter.
 */
import type { EventEnvelope, EventHandler } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { checkIdle } from "./idle.js";
import { journalHandled } from "./journal.js";
import type { Mailbox, TypeQueue } from "./mailbox.js";
import { clearCurrent, fail } from "./retries.js";

/**
 * Delivers `event` to a ready subscriber without queueing it. If a handler returns a promise
 * or throws, the event becomes the head of its queue and the ordinary path takes over.
 */
export function deliverNow(core: BusCore, queue: TypeQueue, event: EventEnvelope<string>): void {
  const mailbox = queue.mailbox;
  if (core.dedupActive && mailbox.dedup.has(event.id)) {
    core.counters.duplicates++;
    return;
  }
  const handlers = queue.handlers;
  const started = core.observers.delivered ? core.clock.now() : Number.NaN;
  for (let i = 0; i < handlers.length; i++) {
    let result: unknown;
    try {
      result = handlers[i]!(event);
    } catch (error) {
      hold(queue, event, handlers, i, started);
      fail(core, mailbox, error);
      return;
    }
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<void>).then === "function"
    ) {
      hold(queue, event, handlers, i, started);
      mailbox.running = true;
      (result as PromiseLike<void>).then(mailbox.onResolved, mailbox.onRejected);
      return;
    }
  }
  handled(core, mailbox, event, started);
}

/** Makes a directly delivered event the current delivery, first in its queue. */
function hold(
  queue: TypeQueue,
  event: EventEnvelope<string>,
  handlers: readonly EventHandler<string>[],
  handlerIndex: number,
  started: number,
): void {
  const mailbox = queue.mailbox;
  mailbox.unshift(queue, event);
  mailbox.current = event;
  mailbox.currentQueue = queue;
  mailbox.currentHandlers = handlers;
  mailbox.handlerIndex = handlerIndex;
  mailbox.attempts = 1;
  mailbox.startedAt = started;
}

/** Delivers from `mailbox` until it is empty of deliverable events, paused, or waiting. */
export function drain(core: BusCore, mailbox: Mailbox): void {
  if (
    core.closed ||
    !mailbox.open ||
    mailbox.running ||
    mailbox.draining ||
    mailbox.retryTimer !== null
  ) {
    return;
  }
  mailbox.draining = true;
  for (;;) {
    const queue = mailbox.nextQueue();
    if (queue === null) break;
    const event = queue.items[queue.head]!;
    if (core.dedupActive && mailbox.dedup.has(event.id) && !mailbox.forced?.has(event)) {
      mailbox.shift(queue);
      core.counters.duplicates++;
      continue;
    }
    mailbox.current = event;
    mailbox.currentQueue = queue;
    mailbox.currentHandlers = queue.handlers;
    mailbox.handlerIndex = 0;
    mailbox.attempts = 1;
    mailbox.startedAt = core.observers.delivered ? core.clock.now() : Number.NaN;
    if (!invoke(core, mailbox) || core.closed || !mailbox.open) break;
  }
  mailbox.draining = false;
}

/**
 * Runs the current event's handlers from `handlerIndex`. True when the delivery finished
 * synchronously (handled or dead-lettered); false when a handler is pending or a retry waits.
 */
function invoke(core: BusCore, mailbox: Mailbox): boolean {
  const handlers = mailbox.currentHandlers;
  const event = mailbox.current!;
  while (mailbox.handlerIndex < handlers.length) {
    let result: unknown;
    try {
      result = handlers[mailbox.handlerIndex]!(event);
    } catch (error) {
      return fail(core, mailbox, error);
    }
    if (
      result !== undefined &&
      result !== null &&
      typeof (result as PromiseLike<void>).then === "function"
    ) {
      mailbox.running = true;
      (result as PromiseLike<void>).then(mailbox.onResolved, mailbox.onRejected);
      return false;
    }
    mailbox.handlerIndex++;
  }
  complete(core, mailbox);
  return true;
}

/** Every handler of the current delivery succeeded: the event leaves the mailbox. */
function complete(core: BusCore, mailbox: Mailbox): void {
  const event = mailbox.current!;
  mailbox.shift(mailbox.currentQueue!);
  mailbox.current = null;
  mailbox.currentQueue = null;
  if (mailbox.forced !== null) mailbox.forced.delete(event);
  handled(core, mailbox, event, mailbox.startedAt);
}

/** Counts a handled event, remembers its id, and tells the journal and observers. */
function handled(
  core: BusCore,
  mailbox: Mailbox,
  event: EventEnvelope<string>,
  started: number,
): void {
  mailbox.delivered++;
  core.counters.delivered++;
  mailbox.dedup.record(event.id, event.seq, !core.dedupActive || !core.supplied.has(event));
  if (core.journal !== null) journalHandled(core, mailbox.name, event);
  if (core.observers.delivered) core.observers.emitDelivered(mailbox, event, started);
}

/**
 * Binds the mailbox's continuation callbacks once, so deliveries allocate no closures: an async
 * handler that resolves (next handler, then the next event), one that rejects (retry or dead
 * letter), and a retry timer that fires (the failed handler again, unless the mailbox closed or
 * lost its handlers meanwhile; a changed handler list starts over from its first handler).
 */
export function bindCallbacks(core: BusCore, mailbox: Mailbox): void {
  mailbox.onResolved = () => {
    mailbox.running = false;
    if (mailbox.removed || mailbox.current === null) return;
    mailbox.handlerIndex++;
    if (invoke(core, mailbox)) drain(core, mailbox);
    if (core.idleWaiters.length !== 0) checkIdle(core);
  };
  mailbox.onRejected = (error) => {
    if (mailbox.removed || mailbox.current === null) {
      mailbox.running = false;
      return;
    }
    if (fail(core, mailbox, error) || mailbox.retryTimer === null) drain(core, mailbox);
    if (core.idleWaiters.length !== 0) checkIdle(core);
  };
  mailbox.onRetry = () => {
    mailbox.retryTimer = null;
    const queue = mailbox.currentQueue;
    if (core.closed || queue === null) return;
    if (!mailbox.open || queue.handlers.length === 0) {
      clearCurrent(mailbox);
    } else {
      if (queue.handlers !== mailbox.currentHandlers) {
        mailbox.currentHandlers = queue.handlers;
        mailbox.handlerIndex = 0;
      }
      mailbox.draining = true;
      const finished = invoke(core, mailbox);
      mailbox.draining = false;
      if (finished) drain(core, mailbox);
    }
    if (core.idleWaiters.length !== 0) checkIdle(core);
  };
}
