/**
 * `createEventBus`, the entry of the in-memory event bus, assembled from its parts — each in
 * the file named after the `import` below, all sharing one `BusCore` (`bus-core.ts`).
 */
import type { EventEnvelope, EventHandler } from "../registry/types.js";
import { BusCore } from "./bus-core.js";
import { type CreateEventBusOptions, resolveOptions } from "./bus-options.js";
import { retryDeadLetter } from "./dead-letters.js";
import { checkIdle, waitIdle } from "./idle.js";
import { inject } from "./injection.js";
import { ALL_TYPES } from "./mailbox.js";
import { busStats } from "./observation.js";
import { publish } from "./publish.js";
import { cancelRetry } from "./retries.js";
import { flush, settle } from "./routing.js";
import { attach, declare, depth, detachAll, setOpen } from "./subscribers.js";
import { subscribe } from "./subscriptions.js";
import type { EventBus } from "./types.js";

export type { CreateEventBusOptions } from "./bus-options.js";

/**
 * Creates an in-memory event bus (DESIGN.md §5). See {@link EventBus} for the contract; what this
 * implementation adds, and where each part lives:
 *
 * - **Publishing** (`publish.ts`, ids in `ids.ts`): `publish` only queues; handlers run from a
 *   microtask, never inside `publish`. With `systemClock`, `time` is read once per 256
 *   publishes within one synchronous run (see `PublishTime`).
 * - **Routing** (`routing.ts`, `routing-table.ts`): events reach the subscribers that existed
 *   when they were published, in publish order; a ready subscriber is called directly, any other
 *   gets the event in its mailbox (`mailbox.ts`). Every method below first routes what is pending
 *   (`settle`), so what it sees reflects every earlier publish.
 * - **Delivery** (`delivery.ts`): each subscriber drains its mailbox in order, awaiting a handler
 *   that returns a promise; subscribers are independent.
 * - **Retries** (`retries.ts`): a failing handler is retried after `retryDelay × 2^(n−1)` ms, then
 *   its event is dead-lettered after `maxAttempts`.
 * - **Dead letters** (`dead-letters.ts`): failed and overflowed events (a mailbox holding
 *   `mailboxCapacity` events), listed and re-deliverable.
 * - **Dedup** (`dedup.ts`): each subscriber remembers the last `dedupWindow` ids it handled and
 *   skips a repeat, counting it in `duplicates`.
 * - **Subscribers** (`subscribers.ts`): declared mailboxes, attached handlers, open/closed;
 *   **ad-hoc subscriptions** (`subscriptions.ts`); **durable injection** (`injection.ts`).
 * - **Observation** (`observation.ts`, `event-log.ts`): counters, `stats()`, bus events, `recent`.
 * - **Idle** (`idle.ts`): `idle()` waiters.
 */
export function createEventBus(init: CreateEventBusOptions): EventBus {
  const core = new BusCore(init, resolveOptions(init.options), flush);
  const bus: EventBus = {
    publish: (type, payload, options) => publish(core, type, payload, options) as never,

    subscribe(type, handler, options) {
      settle(core);
      const name = options?.name ?? `subscribe:${type}`;
      return subscribe(core, type, handler as EventHandler<string>, name);
    },
    subscribeAll(handler, options) {
      settle(core);
      return subscribe(core, ALL_TYPES, handler, options?.name ?? "subscribe:all");
    },
    declare(subscriber, types) {
      settle(core);
      declare(core, subscriber, types);
    },
    attach(subscriber, type, handler) {
      settle(core);
      return attach(core, subscriber, type, handler);
    },
    detachAll(subscriber) {
      settle(core);
      detachAll(core, subscriber);
    },
    setOpen(subscriber, open) {
      settle(core);
      setOpen(core, subscriber, open);
    },
    idle: (subscriber) => waitIdle(core, subscriber),
    inject(subscriber, event) {
      settle(core);
      return inject(core, subscriber, event);
    },
    depth(subscriber, options) {
      settle(core);
      return depth(core, subscriber, options?.deliverable === true);
    },

    deadLetters() {
      settle(core);
      return core.deadLetters.list();
    },
    retryDeadLetter(id) {
      settle(core);
      return retryDeadLetter(core, id);
    },

    recent: (limit = core.log.historySize): EventEnvelope<string>[] => core.log.recent(limit),
    stats() {
      settle(core);
      return busStats(core);
    },
    on: (event, listener) => core.observers.on(event, listener),

    close() {
      if (core.closed) return;
      settle(core);
      core.closed = true;
      for (const mailbox of core.mailboxes.values()) cancelRetry(core, mailbox);
      if (core.idleWaiters.length !== 0) checkIdle(core);
    },
  };
  return bus;
}
