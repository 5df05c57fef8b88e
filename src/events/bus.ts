import { type Clock, systemClock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import { EVENT_BUS_DEFAULTS } from "../registry/defaults.js";
import type { EventBusOptions, EventEnvelope, EventHandler } from "../registry/types.js";
import { DeadLetterList } from "./dead-letters.js";
import { createEventIds, randomIdPrefix } from "./ids.js";
import type { EventJournal } from "./journal.js";
import { ALL_TYPES, Mailbox, type MailboxKind, type TypeQueue } from "./mailbox.js";
import type { BusEvents, BusStats, DeadLetter, EventBus } from "./types.js";

export interface CreateEventBusOptions {
  /** Stamps `time` on events and dead letters, and runs retry timers. */
  clock: Clock;
  /** Tuning; unset fields come from `EVENT_BUS_DEFAULTS`. */
  options?: Partial<EventBusOptions>;
  /** Errors the bus cannot hand to anyone else: observer listeners and journal hooks. */
  onError?: (error: Error, context: string) => void;
  /** Prefix of generated event ids (`${idPrefix}${seq}`); default: random per bus. */
  idPrefix?: string;
  /** Durable-delivery hooks; see {@link EventJournal}. */
  journal?: EventJournal;
  /** Seq of the last event published before this bus existed (a resumed durable bus); default 0. */
  initialSeq?: number;
  /**
   * Durable mode: declared subscribers are fed only through {@link EventBus.inject} (by the store
   * reader, in the store's order), not by `publish`. Live subscriptions still get every publish.
   */
  external?: boolean;
}

const NO_QUEUES: readonly TypeQueue[] = Object.freeze([]);

/** With the system clock, `Date.now()` is read at most once per this many publishes in one run. */
const SYSTEM_TIME_REUSE = 32;

/**
 * Creates an in-memory event bus (DESIGN.md §5). See {@link EventBus} for the contract; what this
 * implementation adds:
 *
 * - **Delivery**: `publish` only queues; handlers run from a microtask, never inside `publish`.
 *   Each subscriber drains its mailbox synchronously while its handlers return synchronously, and
 *   awaits a handler that returns a promise before the next event. Subscribers are independent.
 * - **Retries**: a handler that throws or rejects is called again after `retryDelay × 2^(n−1)` ms
 *   (n = attempts so far) on the injected clock — with the defaults 100 ms, then 200 ms, then the
 *   third failure dead-letters the event (`maxAttempts` = 3) and the next event is delivered.
 *   Later events for that subscriber wait meanwhile. With several handlers for one type, a retry
 *   resumes at the handler that failed. Closing the mailbox or detaching during the wait cancels
 *   the retry; the event stays first in line and is delivered afresh later.
 * - **Dedup**: each subscriber remembers the last `dedupWindow` ids it handled; an event whose id
 *   it remembers is skipped and counted in `duplicates`. Generated ids never repeat, so lookups
 *   only start once some caller publishes with its own `id` (see `DedupMemory`).
 * - **Capacity**: an event for a mailbox already holding `mailboxCapacity` events (including the
 *   one being delivered) is dead-lettered as `mailbox-full`. `retryDeadLetter` re-queues even into
 *   a full mailbox: it is an operator's explicit request.
 * - **Time**: with `systemClock`, `time` is read once per {@link SYSTEM_TIME_REUSE} publishes
 *   within one synchronous run (and afresh after every yield to the event loop), because
 *   `Date.now()` costs as much as the rest of a publish; a stamp lags by at most the time that run
 *   spent between two reads. Any other clock is read on every publish.
 * - **Ad-hoc subscriptions** (`subscribe`, `subscribeAll`) get a mailbox of their own named
 *   `options.name` (made unique with `#2`, `#3`… if taken), open at once and removed with the
 *   subscription. `attach` to a name nobody declared creates an open mailbox that stays.
 */
export function createEventBus(init: CreateEventBusOptions): EventBus {
  const options = resolveOptions(init.options);
  const { mailboxCapacity, dedupWindow, maxAttempts, retryDelay, historySize } = options;
  const clock = init.clock;
  const journal = init.journal ?? null;
  const external = init.external === true;
  const idPrefix = init.idPrefix ?? randomIdPrefix();
  const nextEventId = createEventIds(idPrefix);
  const onError = init.onError ?? defaultOnError;

  const report = (error: unknown, context: string): void => {
    try {
      onError(coerceError(error), context);
    } catch {
      // The error sink itself failed; nothing is left to tell.
    }
  };
  // A mapped copy of the interface: SafeEmitter wants a type with an implicit index signature.
  const emitter = new SafeEmitter<{ [K in keyof BusEvents]: BusEvents[K] }>((event, error) =>
    report(error, `listener:${event}`),
  );
  let observePublished = false;
  let observeDelivered = false;
  let observeDeadLetter = false;
  const refreshObservers = () => {
    observePublished = emitter.listenerCount("published") > 0;
    observeDelivered = emitter.listenerCount("delivered") > 0;
    observeDeadLetter = emitter.listenerCount("dead-letter") > 0;
  };

  const mailboxes = new Map<string, Mailbox>();
  /** Queues that receive events of a type, by type; arrays are replaced, never mutated. */
  const routes = new Map<string, TypeQueue[]>();
  /** Queues that receive every event (`subscribeAll`). */
  let wildcard: TypeQueue[] = [];
  /** Bumped whenever `routes` or `wildcard` change. */
  let routesVersion = 0;
  const subscriptionNames = new Map<string, number>();
  const deadLetters = new DeadLetterList<TypeQueue>(options.deadLetterCapacity);
  let deadLetterCount = 0;

  const history: EventEnvelope<string>[] = [];
  let historyNext = 0;

  let seq = init.initialSeq ?? 0;
  let closed = false;
  /** Set once a caller supplies an id: from then on a repeat is possible, so dedup looks ids up. */
  let dedupActive = false;
  /** Events published with a caller's id (only those: generated ids need no marking). */
  const supplied = new WeakSet<EventEnvelope<string>>();
  const stats = {
    published: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    duplicates: 0,
    overflowed: 0,
  };

  // ---- time ---------------------------------------------------------------------------------

  const reuseTime = clock === systemClock;
  let timeUses = 0;
  let cachedTime = 0;
  const publishTime = (): number => {
    if (!reuseTime) return clock.now();
    if (timeUses === 0) {
      cachedTime = clock.now();
      timeUses = SYSTEM_TIME_REUSE; // forgotten at the next flush, i.e. after a yield
    }
    timeUses--;
    return cachedTime;
  };

  // ---- routing published events ------------------------------------------------------------
  //
  // `publish` appends to `pending` and queues one microtask (`flush`). The flush routes each
  // pending event, in publish order, to the queues listed for its type: a subscriber that can
  // take it right now (open, idle, nothing queued) gets its handler called straight away; any
  // other gets it in its mailbox. So a ready subscriber costs a handler call per event, not a
  // queue round trip. Every other method first routes what is pending with `settle()` (queueing
  // only), so routes, capacity and stats always reflect events in publish order, and an event
  // is routed with the subscribers that existed when it was published.

  const dirty: Mailbox[] = [];
  let flushQueued = false;
  const pending: (EventEnvelope<string> | undefined)[] = [];
  let pendingHead = 0;
  let pendingTail = 0;
  /** The event being routed, its targets, and the next target: shared so routing can resume. */
  let routing: EventEnvelope<string> | null = null;
  let routingTargets: readonly TypeQueue[] = NO_QUEUES;
  let routingAll: readonly TypeQueue[] = NO_QUEUES;
  let routingNext = 0;
  /** The last routing-table lookup, reused while events of one type follow each other. */
  let lookedUpType = "";
  let lookedUpVersion = -1;
  let lookedUpTargets: readonly TypeQueue[] = NO_QUEUES;
  /** Bumped on every entry to `route`, to notice a nested call that routed everything. */
  let routeEntries = 0;

  const queueFlush = (): void => {
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };

  /**
   * Routes pending events. With `deliver`, ready subscribers are called directly; without, every
   * target is queued. Resumable: user code run from here (handlers, observers, the journal) may
   * call a bus method, which routes the rest itself; this loop then finds nothing left.
   */
  const route = (deliver: boolean): void => {
    const entry = ++routeEntries;
    for (;;) {
      if (routing === null) {
        if (pendingHead === pendingTail) break;
        const next = pending[pendingHead]!;
        pending[pendingHead] = undefined;
        pendingHead++;
        routing = next;
        if (next.type !== lookedUpType || routesVersion !== lookedUpVersion) {
          lookedUpType = next.type;
          lookedUpVersion = routesVersion;
          lookedUpTargets = routes.get(next.type) ?? NO_QUEUES;
        }
        routingTargets = lookedUpTargets;
        routingAll = wildcard;
        routingNext = 0;
      }
      const event = routing;
      const targets = routingTargets;
      const direct = targets.length;
      const total = direct + routingAll.length;
      let i = routingNext;
      while (i < total) {
        const queue = i < direct ? targets[i]! : routingAll[i - direct]!;
        i++;
        routingNext = i;
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
          deliverNow(queue, event);
        } else {
          enqueue(queue, event);
        }
        if (routeEntries !== entry) break; // a nested route() took over
      }
      if (routeEntries !== entry) {
        if (routing === null && pendingHead === pendingTail) break;
        continue;
      }
      routing = null;
    }
    if (routing === null && pendingHead === pendingTail) {
      pendingHead = 0;
      pendingTail = 0;
    }
  };

  /** Routes pending events into mailboxes (no handler runs). */
  const settle = (): void => {
    if (routing !== null || pendingHead !== pendingTail) route(false);
  };

  const flush = (): void => {
    timeUses = 0;
    while (!closed && (pendingHead !== pendingTail || routing !== null || dirty.length !== 0)) {
      route(true);
      for (let i = 0; i < dirty.length; i++) {
        const mailbox = dirty[i]!;
        mailbox.scheduled = false;
        drain(mailbox);
      }
      dirty.length = 0;
    }
    flushQueued = false;
    if (closed) {
      for (const mailbox of dirty) mailbox.scheduled = false;
      dirty.length = 0;
    }
    if (idleWaiters.length !== 0) checkIdle();
  };

  /** Whether a delivery pass could start for `mailbox` now. */
  const canStart = (mailbox: Mailbox): boolean =>
    !closed &&
    mailbox.open &&
    !mailbox.scheduled &&
    !mailbox.running &&
    !mailbox.draining &&
    mailbox.retryTimer === null;

  const schedule = (mailbox: Mailbox): void => {
    mailbox.scheduled = true;
    dirty.push(mailbox);
    queueFlush();
  };

  const enqueue = (queue: TypeQueue, event: EventEnvelope<string>): void => {
    const mailbox = queue.mailbox;
    if (mailbox.depth >= mailboxCapacity) {
      mailbox.overflowed++;
      stats.overflowed++;
      deadLetter(
        queue,
        event,
        "mailbox-full",
        `mailbox of ${mailbox.name} is full (${mailboxCapacity} events)`,
        0,
      );
      return;
    }
    mailbox.push(queue, event);
    if (queue.handlers.length !== 0 && canStart(mailbox)) schedule(mailbox);
  };

  /**
   * Delivers `event` to a ready subscriber without queueing it. If a handler returns a promise
   * or throws, the event becomes the head of its queue and the ordinary path takes over.
   */
  const deliverNow = (queue: TypeQueue, event: EventEnvelope<string>): void => {
    const mailbox = queue.mailbox;
    if (dedupActive && mailbox.dedup.has(event.id)) {
      stats.duplicates++;
      return;
    }
    const handlers = queue.handlers;
    const started = observeDelivered ? clock.now() : Number.NaN;
    for (let i = 0; i < handlers.length; i++) {
      let result: unknown;
      try {
        result = handlers[i]!(event);
      } catch (error) {
        hold(queue, event, handlers, i, started);
        fail(mailbox, error);
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
    mailbox.delivered++;
    stats.delivered++;
    mailbox.dedup.record(event.id, event.seq, !dedupActive || !supplied.has(event));
    if (journal !== null) callJournal(() => journal.handled(mailbox.name, event));
    if (observeDelivered) emitDelivered(mailbox, event, started);
  };

  /** Makes a directly delivered event the current delivery, first in its queue. */
  const hold = (
    queue: TypeQueue,
    event: EventEnvelope<string>,
    handlers: readonly EventHandler<string>[],
    handlerIndex: number,
    started: number,
  ): void => {
    const mailbox = queue.mailbox;
    mailbox.unshift(queue, event);
    mailbox.current = event;
    mailbox.currentQueue = queue;
    mailbox.currentHandlers = handlers;
    mailbox.handlerIndex = handlerIndex;
    mailbox.attempts = 1;
    mailbox.startedAt = started;
  };

  const emitDelivered = (mailbox: Mailbox, event: EventEnvelope<string>, started: number) => {
    emitter.emit("delivered", {
      event,
      subscriber: mailbox.name,
      durationMs: Number.isNaN(started) ? 0 : clock.now() - started,
    });
  };

  // ---- delivery -----------------------------------------------------------------------------

  /** Delivers from `mailbox` until it is empty of deliverable events, paused, or waiting. */
  const drain = (mailbox: Mailbox): void => {
    if (
      closed ||
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
      if (dedupActive && mailbox.dedup.has(event.id) && !mailbox.forced?.has(event)) {
        mailbox.shift(queue);
        stats.duplicates++;
        continue;
      }
      mailbox.current = event;
      mailbox.currentQueue = queue;
      mailbox.currentHandlers = queue.handlers;
      mailbox.handlerIndex = 0;
      mailbox.attempts = 1;
      mailbox.startedAt = observeDelivered ? clock.now() : Number.NaN;
      if (!invoke(mailbox) || closed || !mailbox.open) break;
    }
    mailbox.draining = false;
  };

  /**
   * Runs the current event's handlers from `handlerIndex`. True when the delivery finished
   * synchronously (handled or dead-lettered); false when a handler is pending or a retry waits.
   */
  const invoke = (mailbox: Mailbox): boolean => {
    const handlers = mailbox.currentHandlers;
    const event = mailbox.current!;
    while (mailbox.handlerIndex < handlers.length) {
      let result: unknown;
      try {
        result = handlers[mailbox.handlerIndex]!(event);
      } catch (error) {
        return fail(mailbox, error);
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
    complete(mailbox);
    return true;
  };

  const complete = (mailbox: Mailbox): void => {
    const event = mailbox.current!;
    mailbox.shift(mailbox.currentQueue!);
    mailbox.current = null;
    mailbox.currentQueue = null;
    mailbox.delivered++;
    stats.delivered++;
    mailbox.dedup.record(event.id, event.seq, !dedupActive || !supplied.has(event));
    if (mailbox.forced !== null) mailbox.forced.delete(event);
    if (journal !== null) callJournal(() => journal.handled(mailbox.name, event));
    if (observeDelivered) emitDelivered(mailbox, event, mailbox.startedAt);
  };

  /** The current handler failed: schedule a retry, or dead-letter the event. */
  const fail = (mailbox: Mailbox, thrown: unknown): boolean => {
    mailbox.running = false;
    const queue = mailbox.currentQueue!;
    if (mailbox.attempts >= maxAttempts) {
      const event = mailbox.current!;
      const attempts = mailbox.attempts;
      mailbox.shift(queue);
      clearCurrent(mailbox);
      deadLetter(queue, event, "handler-failed", describeError(coerceError(thrown)), attempts);
      return true;
    }
    if (closed || !mailbox.open || queue.handlers.length === 0) {
      // Paused or detached meanwhile: the event stays first in line for the next delivery.
      clearCurrent(mailbox);
      return false;
    }
    stats.retried++;
    const delay = retryDelay * 2 ** (mailbox.attempts - 1);
    mailbox.attempts++;
    mailbox.retryTimer = clock.setTimeout(mailbox.onRetry, delay);
    return false;
  };

  const clearCurrent = (mailbox: Mailbox): void => {
    mailbox.current = null;
    mailbox.currentQueue = null;
    mailbox.handlerIndex = 0;
    mailbox.attempts = 0;
  };

  const cancelRetry = (mailbox: Mailbox): void => {
    if (mailbox.retryTimer === null) return;
    clock.clearTimeout(mailbox.retryTimer);
    mailbox.retryTimer = null;
    clearCurrent(mailbox);
  };

  const bindCallbacks = (mailbox: Mailbox): void => {
    mailbox.onResolved = () => {
      mailbox.running = false;
      if (mailbox.removed || mailbox.current === null) return;
      mailbox.handlerIndex++;
      if (invoke(mailbox)) drain(mailbox);
      if (idleWaiters.length !== 0) checkIdle();
    };
    mailbox.onRejected = (error) => {
      if (mailbox.removed || mailbox.current === null) {
        mailbox.running = false;
        return;
      }
      if (fail(mailbox, error) || mailbox.retryTimer === null) drain(mailbox);
      if (idleWaiters.length !== 0) checkIdle();
    };
    mailbox.onRetry = () => {
      mailbox.retryTimer = null;
      const queue = mailbox.currentQueue;
      if (closed || queue === null) return;
      if (!mailbox.open || queue.handlers.length === 0) {
        clearCurrent(mailbox);
      } else {
        if (queue.handlers !== mailbox.currentHandlers) {
          mailbox.currentHandlers = queue.handlers;
          mailbox.handlerIndex = 0;
        }
        mailbox.draining = true;
        const finished = invoke(mailbox);
        mailbox.draining = false;
        if (finished) drain(mailbox);
      }
      if (idleWaiters.length !== 0) checkIdle();
    };
  };

  const deadLetter = (
    queue: TypeQueue,
    event: EventEnvelope<string>,
    reason: DeadLetter["reason"],
    error: string,
    attempts: number,
  ): void => {
    stats.deadLettered++;
    const letter: DeadLetter = {
      id: `${idPrefix}dl${++deadLetterCount}`,
      event,
      subscriber: queue.mailbox.name,
      reason,
      error,
      attempts,
      at: clock.now(),
    };
    deadLetters.add(letter, queue);
    if (journal?.deadLettered !== undefined) {
      const hook = journal.deadLettered;
      callJournal(() => hook.call(journal, letter));
    }
    if (observeDeadLetter) emitter.emit("dead-letter", letter);
  };

  const callJournal = (call: () => void | Promise<void>): void => {
    try {
      const result = call();
      if (result !== undefined && typeof result.then === "function") {
        result.then(undefined, (error) => report(error, "journal"));
      }
    } catch (error) {
      report(error, "journal");
    }
  };

  // ---- routing ------------------------------------------------------------------------------

  /** Puts `queue` into (or takes it out of) the routing table to match its declared/handlers. */
  const updateRoute = (queue: TypeQueue): void => {
    const wanted =
      !queue.mailbox.removed &&
      (external
        ? !queue.declared && queue.handlers.length !== 0
        : queue.declared || queue.handlers.length !== 0);
    if (wanted === queue.routed) return;
    queue.routed = wanted;
    routesVersion++;
    if (queue.type === ALL_TYPES && queue.mailbox.kind === "subscription") {
      wildcard = wanted ? [...wildcard, queue] : wildcard.filter((q) => q !== queue);
      return;
    }
    const current = routes.get(queue.type) ?? [];
    const next = wanted ? [...current, queue] : current.filter((q) => q !== queue);
    if (next.length === 0) routes.delete(queue.type);
    else routes.set(queue.type, next);
  };

  const createMailbox = (name: string, kind: MailboxKind, open: boolean): Mailbox => {
    const mailbox = new Mailbox(name, kind, open, dedupWindow, nextEventId);
    bindCallbacks(mailbox);
    mailboxes.set(name, mailbox);
    return mailbox;
  };

  const uniqueName = (base: string): string => {
    if (!mailboxes.has(base)) return base;
    let n = subscriptionNames.get(base) ?? 2;
    while (mailboxes.has(`${base}#${n}`)) n++;
    subscriptionNames.set(base, n + 1);
    return `${base}#${n}`;
  };

  const removeMailbox = (mailbox: Mailbox): void => {
    if (mailbox.removed) return;
    mailbox.removed = true;
    cancelRetry(mailbox);
    if (!mailbox.running) clearCurrent(mailbox);
    for (const queue of mailbox.queues) {
      queue.handlers = [];
      queue.declared = false;
      updateRoute(queue);
    }
    mailboxes.delete(mailbox.name);
    if (idleWaiters.length !== 0) checkIdle();
  };

  const detachHandler = (
    queue: TypeQueue,
    handler: EventHandler<string>,
    generation: number,
  ): void => {
    const mailbox = queue.mailbox;
    if (mailbox.generation !== generation) return;
    const index = queue.handlers.indexOf(handler);
    if (index === -1) return;
    queue.handlers = queue.handlers.filter((_, i) => i !== index);
    if (queue.handlers.length === 0) afterLastHandler(queue);
  };

  const afterLastHandler = (queue: TypeQueue): void => {
    const mailbox = queue.mailbox;
    if (mailbox.currentQueue === queue) cancelRetry(mailbox);
    if (!queue.declared) mailbox.clear(queue);
    updateRoute(queue);
    if (idleWaiters.length !== 0) checkIdle();
  };

  // ---- idle ---------------------------------------------------------------------------------

  const idleWaiters: { mailbox: Mailbox | null; resolve: () => void }[] = [];

  const isIdle = (mailbox: Mailbox): boolean => {
    if (mailbox.running) return false;
    if (closed || mailbox.removed) return true;
    if (routing !== null || pendingHead !== pendingTail) return false;
    if (mailbox.scheduled || mailbox.draining) return false;
    return !mailbox.open || mailbox.retryTimer !== null || !mailbox.hasDeliverable();
  };

  const allIdle = (): boolean => {
    if (!closed && (routing !== null || pendingHead !== pendingTail)) return false;
    for (const mailbox of mailboxes.values()) if (!isIdle(mailbox)) return false;
    return true;
  };

  const checkIdle = (): void => {
    let everything: boolean | undefined;
    for (let i = 0; i < idleWaiters.length; ) {
      const waiter = idleWaiters[i]!;
      if (waiter.mailbox === null && everything === undefined) everything = allIdle();
      const done = waiter.mailbox === null ? everything === true : isIdle(waiter.mailbox);
      if (done) {
        idleWaiters.splice(i, 1);
        waiter.resolve();
      } else {
        i++;
      }
    }
  };

  // ---- the bus ------------------------------------------------------------------------------

  const bus: EventBus = {
    publish(type, payload, publishOptions) {
      if (closed) throw new Error(`event bus is closed: cannot publish ${String(type)}`);
      const eventSeq = ++seq;
      let id: string | undefined;
      let source = "manager";
      if (publishOptions !== undefined) {
        if (publishOptions.id !== undefined) {
          id = publishOptions.id;
          dedupActive = true;
        }
        if (publishOptions.source !== undefined) source = publishOptions.source;
      }
      const event: EventEnvelope<string> = {
        id: id ?? nextEventId(eventSeq),
        type,
        payload,
        source,
        time: publishTime(),
        seq: eventSeq,
      };
      if (id !== undefined) supplied.add(event);
      stats.published++;
      if (historySize !== 0) {
        history[historyNext] = event;
        historyNext = historyNext + 1 === historySize ? 0 : historyNext + 1;
      }
      if (journal !== null) callJournal(() => journal.published(event));
      if (observePublished) emitter.emit("published", event);
      pending[pendingTail++] = event;
      queueFlush();
      return event as never;
    },

    subscribe(type, handler, subscribeOptions) {
      settle();
      const mailbox = createMailbox(
        uniqueName(subscribeOptions?.name ?? `subscribe:${type}`),
        "subscription",
        true,
      );
      const queue = mailbox.queue(type);
      queue.handlers = [handler as EventHandler<string>];
      updateRoute(queue);
      return () => {
        settle();
        removeMailbox(mailbox);
      };
    },

    subscribeAll(handler, subscribeOptions) {
      settle();
      const mailbox = createMailbox(
        uniqueName(subscribeOptions?.name ?? "subscribe:all"),
        "subscription",
        true,
      );
      const queue = mailbox.queue(ALL_TYPES);
      queue.handlers = [handler];
      updateRoute(queue);
      return () => {
        settle();
        removeMailbox(mailbox);
      };
    },

    declare(subscriber, types) {
      settle();
      let mailbox = mailboxes.get(subscriber);
      if (mailbox === undefined) mailbox = createMailbox(subscriber, "declared", false);
      else mailbox.kind = "declared";
      for (const type of types) {
        const queue = mailbox.queue(type);
        if (queue.declared) continue;
        queue.declared = true;
        updateRoute(queue);
      }
    },

    attach(subscriber, type, handler) {
      settle();
      const mailbox = mailboxes.get(subscriber) ?? createMailbox(subscriber, "attached", true);
      const queue = mailbox.queue(type);
      queue.handlers = [...queue.handlers, handler];
      updateRoute(queue);
      if (canStart(mailbox) && queue.head < queue.tail) schedule(mailbox);
      const generation = mailbox.generation;
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        settle();
        detachHandler(queue, handler, generation);
      };
    },

    detachAll(subscriber) {
      settle();
      const mailbox = mailboxes.get(subscriber);
      if (mailbox === undefined) return;
      mailbox.generation++;
      for (const queue of mailbox.queues) {
        if (queue.handlers.length === 0) continue;
        queue.handlers = [];
        afterLastHandler(queue);
      }
    },

    setOpen(subscriber, open) {
      settle();
      let mailbox = mailboxes.get(subscriber);
      if (mailbox === undefined) mailbox = createMailbox(subscriber, "declared", open);
      mailbox.open = open;
      if (open) {
        if (canStart(mailbox) && mailbox.hasDeliverable()) schedule(mailbox);
      } else {
        cancelRetry(mailbox);
        if (idleWaiters.length !== 0) checkIdle();
      }
    },

    idle(subscriber) {
      const mailbox = subscriber === undefined ? null : (mailboxes.get(subscriber) ?? null);
      if (subscriber !== undefined && mailbox === null) return Promise.resolve();
      if (mailbox === null ? allIdle() : isIdle(mailbox)) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push({ mailbox, resolve }));
    },

    deadLetters() {
      settle();
      return deadLetters.list();
    },

    inject(subscriber, event) {
      settle();
      const mailbox = mailboxes.get(subscriber);
      if (mailbox === undefined || mailbox.removed || mailbox.kind !== "declared") return false;
      const queue = mailbox.queue(event.type);
      if (!queue.declared) return false;
      dedupActive = true;
      supplied.add(event);
      enqueue(queue, event);
      return true;
    },

    depth(subscriber, options) {
      settle();
      const mailbox = mailboxes.get(subscriber);
      if (!mailbox) return 0;
      return options?.deliverable ? mailbox.deliverableDepth() : mailbox.depth;
    },

    retryDeadLetter(id) {
      settle();
      const entry = deadLetters.get(id);
      if (entry === undefined) return false;
      const queue = entry.owner;
      const mailbox = queue.mailbox;
      if (mailbox.removed) return false;
      deadLetters.delete(id);
      const event = entry.letter.event;
      mailbox.push(queue, event);
      mailbox.forced ??= new Set();
      mailbox.forced.add(event);
      if (queue.handlers.length !== 0 && canStart(mailbox)) schedule(mailbox);
      return true;
    },

    recent(limit = historySize) {
      const count = Math.min(Math.max(0, Math.floor(limit)), history.length);
      const out: EventEnvelope<string>[] = [];
      const size = history.length;
      // Oldest held event sits at historyNext once the ring is full, else at 0.
      const start = size < historySize ? 0 : historyNext;
      for (let i = size - count; i < size; i++) out.push(history[(start + i) % size]!);
      return out;
    },

    stats(): BusStats {
      settle();
      return {
        ...stats,
        deadLettersDropped: deadLetters.dropped,
        mailboxes: [...mailboxes.values()].map((mailbox) => ({
          subscriber: mailbox.name,
          types: mailbox.types(),
          depth: mailbox.depth,
          open: mailbox.open,
          attached: mailbox.attachedTypes(),
          delivered: mailbox.delivered,
          overflowed: mailbox.overflowed,
        })),
      };
    },

    on(event, listener) {
      const off = emitter.on(event, listener);
      refreshObservers();
      return () => {
        off();
        refreshObservers();
      };
    },

    close() {
      if (closed) return;
      settle();
      closed = true;
      for (const mailbox of mailboxes.values()) cancelRetry(mailbox);
      if (idleWaiters.length !== 0) checkIdle();
    },
  };
  return bus;
}

function resolveOptions(given: Partial<EventBusOptions> | undefined): EventBusOptions {
  const options = { ...EVENT_BUS_DEFAULTS };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (options as Record<string, number>)[key] = value;
  }
  const minimum: Record<keyof EventBusOptions, number> = {
    mailboxCapacity: 1,
    dedupWindow: 0,
    maxAttempts: 1,
    retryDelay: 0,
    deadLetterCapacity: 0,
    historySize: 0,
  };
  for (const key of Object.keys(minimum) as (keyof EventBusOptions)[]) {
    const value = options[key];
    if (!Number.isInteger(value) || value < minimum[key]) {
      throw new RangeError(
        `event bus option ${key} must be an integer >= ${minimum[key]}, got ${String(value)}`,
      );
    }
  }
  return options;
}

function defaultOnError(error: Error, context: string): void {
  console.error(`ringmaster event bus (${context}):`, error);
}
