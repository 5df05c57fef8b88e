/**
 * The state one bus's parts share: {@link BusCore}. Each part (publish, routing, delivery,
 * retries, dead letters, observation, subscribers, idle) is a set of plain functions in its own
 * file taking the core as first argument, so the per-event path is direct calls and field reads
 * on one object of fixed shape — no closures or dynamic dispatch between the parts. The fields
 * are grouped by the file that owns them; other parts only read them or call that file.
 */

import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { EventBusOptions, EventEnvelope } from "../registry/types.js";
import { type CreateEventBusOptions, defaultOnError } from "./bus-options.js";
import { DeadLetterList } from "./dead-letters.js";
import { EventLog } from "./event-log.js";
import { createEventIds, randomIdPrefix } from "./ids.js";
import type { EventJournal } from "./journal.js";
import type { Mailbox, TypeQueue } from "./mailbox.js";
import { BusObservers, createCounters } from "./observation.js";
import { PublishTime } from "./publish.js";
import { NO_QUEUES, RoutingTable } from "./routing-table.js";

/** A pending `idle()` call: for one mailbox, or for the whole bus (`mailbox` null). */
export interface IdleWaiter {
  mailbox: Mailbox | null;
  resolve: () => void;
}

export class BusCore {
  // ---- settings (fixed at creation) ---------------------------------------------------------
  readonly clock: Clock;
  readonly journal: EventJournal | null;
  /** Durable mode: declared queues are fed by `inject`, not by `publish`. */
  readonly external: boolean;
  readonly idPrefix: string;
  /** The bus's own id for a seq (`${idPrefix}${seq}`). */
  readonly nextEventId: (seq: number) => string;
  readonly mailboxCapacity: number;
  readonly dedupWindow: number;
  readonly maxAttempts: number;
  readonly retryDelay: number;
  private readonly onError: (error: Error, context: string) => void;

  // ---- publish.ts ---------------------------------------------------------------------------
  /** Seq of the last event published. */
  seq: number;
  readonly time: PublishTime;
  /** Events not yet routed (`log.pending`), and the history behind `recent`. */
  readonly log: EventLog;
  /** Set once a caller supplies an id (or injects): from then on dedup looks ids up. */
  dedupActive = false;
  /** Events published or injected with a caller's id (generated ids need no marking). */
  readonly supplied = new WeakSet<EventEnvelope<string>>();

  // ---- observation.ts -----------------------------------------------------------------------
  readonly counters = createCounters();
  readonly observers: BusObservers;

  // ---- subscribers.ts, subscriptions.ts -----------------------------------------------------
  readonly mailboxes = new Map<string, Mailbox>();
  /** Next `#n` suffix to try for a taken subscription name. */
  readonly subscriptionNames = new Map<string, number>();
  readonly routes = new RoutingTable();

  // ---- routing.ts ---------------------------------------------------------------------------
  /**
   * The event being routed to several targets, its targets, and the next target: shared so
   * routing can resume. An event with one target is routed in one step and never set here.
   */
  routing: EventEnvelope<string> | null = null;
  routingTargets: readonly TypeQueue[] = NO_QUEUES;
  routingAll: readonly TypeQueue[] = NO_QUEUES;
  routingNext = 0;
  /** The last routing-table lookup, reused while events of one type follow each other. */
  lookedUpType = "";
  lookedUpVersion = -1;
  lookedUpTargets: readonly TypeQueue[] = NO_QUEUES;
  /** Bumped on every entry to `route`, to notice a nested call (which routes everything). */
  routeEntries = 0;
  /** Single-target events whose routing step (their handler, if delivered now) is running. */
  delivering = 0;
  /** Mailboxes listed for the next delivery pass. */
  readonly dirty: Mailbox[] = [];
  flushQueued = false;
  /** Routes pending events and runs the delivery pass; queued as one microtask at a time. */
  readonly flush: () => void;

  // ---- dead-letters.ts ----------------------------------------------------------------------
  readonly deadLetters: DeadLetterList<TypeQueue>;
  deadLetterCount = 0;

  // ---- idle.ts; and the bus's own state -----------------------------------------------------
  readonly idleWaiters: IdleWaiter[] = [];
  closed = false;

  constructor(
    init: CreateEventBusOptions,
    options: EventBusOptions,
    flush: (core: BusCore) => void,
  ) {
    this.clock = init.clock;
    this.journal = init.journal ?? null;
    this.external = init.external === true;
    this.idPrefix = init.idPrefix ?? randomIdPrefix();
    this.nextEventId = createEventIds(this.idPrefix);
    this.mailboxCapacity = options.mailboxCapacity;
    this.dedupWindow = options.dedupWindow;
    this.maxAttempts = options.maxAttempts;
    this.retryDelay = options.retryDelay;
    this.onError = init.onError ?? defaultOnError;
    this.seq = init.initialSeq ?? 0;
    this.time = new PublishTime(init.clock);
    this.log = new EventLog(options.historySize);
    this.observers = new BusObservers(init.clock, (error, context) => this.report(error, context));
    this.deadLetters = new DeadLetterList<TypeQueue>(options.deadLetterCapacity);
    this.flush = () => flush(this);
  }

  /** Hands `error` to `onError`; an error sink that throws is ignored. */
  report(error: unknown, context: string): void {
    try {
      this.onError(coerceError(error), context);
    } catch {
      // The error sink itself failed; nothing is left to tell.
    }
  }

  /** Whether published events are waiting to be routed (or are being routed). */
  hasPending(): boolean {
    return this.routing !== null || this.delivering !== 0 || this.log.pending !== 0;
  }

  /** Whether a delivery pass could start for `mailbox` now. */
  canStart(mailbox: Mailbox): boolean {
    return (
      !this.closed &&
      mailbox.open &&
      !mailbox.scheduled &&
      !mailbox.running &&
      !mailbox.draining &&
      mailbox.retryTimer === null
    );
  }

  /** Lists `mailbox` for the next delivery pass. */
  schedule(mailbox: Mailbox): void {
    mailbox.scheduled = true;
    this.dirty.push(mailbox);
    this.queueFlush();
  }

  queueFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }
}
