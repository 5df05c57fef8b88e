/**
 * Routing published events to mailboxes.
 *
 * `publish` appends to the core's event log (`event-log.ts`) and queues one microtask ({@link flush}). The
 * flush routes each pending event, in publish order, to the queues the routing table lists for
 * its type: a subscriber that can take it right now (open, idle, nothing queued) gets its handler
 * called straight away; any other gets it in its mailbox. So a ready subscriber costs a handler
 * call per event, not a queue round trip. Every other bus method first routes what is pending
 * with {@link settle} (queueing only), so routes, capacity and stats always reflect events in
 * publish order, and an event is routed with the subscribers that existed when it was published.
 */
import type { EventEnvelope } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import { deadLetter } from "./dead-letters.js";
import { deliverNow, drain } from "./delivery.js";
import { checkIdle } from "./idle.js";
import type { TypeQueue } from "./mailbox.js";

/**
 * Routes pending events. With `deliver`, ready subscribers are called directly; without, every
 * target is queued. Resumable: user code run from here (handlers, observers, the journal) may
 * call a bus method, which routes the rest itself (a nested call, which always returns with
 * everything routed); this loop then carries on with whatever was published since.
 *
 * An event with exactly one target (one subscriber of its type and no `subscribeAll`, the
 * common case) takes a shorter path: routing it is a single step, so it needs no resumable
 * state, only `delivering` to say that an event is still on its way while its handler runs.
 */
export function route(core: BusCore, deliver: boolean): void {
  core.routeEntries++;
  for (;;) {
    if (core.routing === null) {
      const log = core.log; // taken in place, see event-log.ts
      if (log.pending === 0) break;
      const slot = log.head;
      const next = log.ring[slot]!;
      log.head = slot + 1 === log.capacity ? 0 : slot + 1;
      log.pending--;
      if (next.type !== core.lookedUpType || core.routes.version !== core.lookedUpVersion) {
        core.lookedUpType = next.type;
        core.lookedUpVersion = core.routes.version;
        core.lookedUpTargets = core.routes.targets(next.type);
      }
      const targets = core.lookedUpTargets;
      const all = core.routes.wildcard;
      if (targets.length + all.length === 1) {
        // Fully routed by this one step: a nested route() has nothing of it to resume.
        core.delivering++;
        routeTo(core, targets.length === 1 ? targets[0]! : all[0]!, next, deliver);
        core.delivering--;
        continue;
      }
      core.routing = next;
      core.routingTargets = targets;
      core.routingAll = all;
      core.routingNext = 0;
    }
    routeToEach(core, deliver);
  }
  core.log.release();
}

/**
 * Routes `core.routing` to its remaining targets, then clears it. Stops early when a target's
 * handler ran a nested route(), which has routed the rest of this event already. A function of
 * its own, so that the one-target path above stays small enough to be compiled as one piece.
 */
function routeToEach(core: BusCore, deliver: boolean): void {
  const event = core.routing!;
  const targets = core.routingTargets;
  const all = core.routingAll;
  const direct = targets.length;
  const total = direct + all.length;
  let i = core.routingNext;
  while (i < total) {
    const queue = i < direct ? targets[i]! : all[i - direct]!;
    i++;
    core.routingNext = i;
    const entries = core.routeEntries;
    routeTo(core, queue, event, deliver);
    if (core.routeEntries !== entries) return; // a nested route() took over
  }
  core.routing = null;
}

/** Calls `queue`'s handlers now if `deliver` and its subscriber is ready, else queues `event`. */
function routeTo(
  core: BusCore,
  queue: TypeQueue,
  event: EventEnvelope<string>,
  deliver: boolean,
): void {
  const mailbox = queue.mailbox;
  if (
    deliver &&
    mailbox.depth === 0 &&
    queue.handlers.length !== 0 &&
    mailbox.open &&
    !mailbox.running &&
    !mailbox.draining &&
    mailbox.retryTimer === null
  ) {
    deliverNow(core, queue, event);
  } else {
    enqueue(core, queue, event);
  }
}

/** Routes pending events into mailboxes (no handler runs). */
export function settle(core: BusCore): void {
  if (core.hasPending()) route(core, false);
}

/** The microtask `publish` and `schedule` queue: routes pending events, then drains mailboxes. */
export function flush(core: BusCore): void {
  core.time.forget();
  const dirty = core.dirty;
  while (!core.closed && (core.hasPending() || dirty.length !== 0)) {
    route(core, true);
    for (let i = 0; i < dirty.length; i++) {
      const mailbox = dirty[i]!;
      mailbox.scheduled = false;
      drain(core, mailbox);
    }
    dirty.length = 0;
  }
  core.flushQueued = false;
  if (core.closed) {
    for (const mailbox of dirty) mailbox.scheduled = false;
    dirty.length = 0;
  }
  if (core.idleWaiters.length !== 0) checkIdle(core);
}

/**
 * Puts `event` at the end of `queue`, scheduling a delivery pass if it can start. A mailbox
 * already holding `mailboxCapacity` events (including the one being delivered) dead-letters it
 * as `mailbox-full` instead.
 */
export function enqueue(core: BusCore, queue: TypeQueue, event: EventEnvelope<string>): void {
  const mailbox = queue.mailbox;
  if (mailbox.depth >= core.mailboxCapacity) {
    mailbox.overflowed++;
    core.counters.overflowed++;
    deadLetter(
      core,
      queue,
      event,
      "mailbox-full",
      `mailbox of ${mailbox.name} is full (${core.mailboxCapacity} events)`,
      0,
    );
    return;
  }
  mailbox.push(queue, event);
  if (queue.handlers.length !== 0 && core.canStart(mailbox)) core.schedule(mailbox);
}
