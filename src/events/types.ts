/** The bus's public contract: {@link EventBus}, its stats, bus events and dead letters. */
import type { EventEnvelope, EventHandler, EventName, EventPayload } from "../registry/types.js";

/** An event that could not be delivered to one subscriber. */
export interface DeadLetter {
  /** Id of this dead letter (not the event's). */
  id: string;
  event: EventEnvelope<string>;
  subscriber: string;
  /** `handler-failed`: the handler threw on every attempt; `mailbox-full`: the mailbox was at capacity. */
  reason: "handler-failed" | "mailbox-full";
  error: string;
  attempts: number;
  at: number;
}

export interface MailboxStats {
  subscriber: string;
  types: string[];
  /** Events waiting. */
  depth: number;
  /** Whether delivery is open (the subscriber is running). */
  open: boolean;
  /** Types with a handler attached right now. */
  attached: string[];
  delivered: number;
  overflowed: number;
}

export interface BusStats {
  published: number;
  delivered: number;
  /** Handler errors that were retried. */
  retried: number;
  deadLettered: number;
  /** Deliveries skipped because the subscriber had already seen that event id. */
  duplicates: number;
  /** Events dead-lettered because a mailbox was full. */
  overflowed: number;
  /** Dead letters dropped (oldest first) because the dead-letter list was at capacity. */
  deadLettersDropped: number;
  mailboxes: MailboxStats[];
}

/** What the bus reports to observers (metrics, the HTTP stream). Never throws into the bus. */
export interface BusEvents {
  published: EventEnvelope<string>;
  delivered: { event: EventEnvelope<string>; subscriber: string; durationMs: number };
  "dead-letter": DeadLetter;
}

/**
 * The event bus of one manager (DESIGN.md §5). Delivery is at least once, in publish order for
 * each subscriber, and each subscriber sees a given event id once within the dedup window.
 *
 * A *declared* subscriber (a daemon with `subscribes: [...]`) owns a mailbox from the moment it
 * is declared: events of its types queue there while it is closed (starting, restarting, paused,
 * stopped) and drain in order once it is open and a handler for their type is attached.
 */
export interface EventBus {
  /** Publishes an event; returns its envelope. `source` defaults to `"manager"`. */
  publish<K extends EventName>(
    type: K,
    payload: EventPayload<K>,
    options?: { source?: string; id?: string },
  ): EventEnvelope<K>;
  /**
   * A live subscription for code outside any daemon (application code, tests, the HTTP stream):
   * it receives events published from now on. `name` identifies it in stats and dead letters.
   */
  subscribe<K extends EventName>(
    type: K,
    handler: EventHandler<K>,
    options?: { name?: string },
  ): () => void;
  /** Subscribes to every event type (for observers such as the HTTP stream). */
  subscribeAll(handler: EventHandler<string>, options?: { name?: string }): () => void;
  /** Creates the mailbox of a declared subscriber for `types`. Idempotent; adds new types. */
  declare(subscriber: string, types: readonly string[]): void;
  /**
   * Attaches `handler` for `type` to `subscriber`. For a declared type, queued events drain to it
   * (once the subscriber is open). For an undeclared type, the subscriber gets events published
   * from now on. Returns a function that detaches this handler.
   */
  attach(subscriber: string, type: string, handler: EventHandler<string>): () => void;
  /** Detaches every handler of `subscriber` (when it stops); its mailbox keeps collecting. */
  detachAll(subscriber: string): void;
  /** Opens or closes delivery to `subscriber`. Closed subscribers keep their events queued. */
  setOpen(subscriber: string, open: boolean): void;
  /** Resolves when no handler of `subscriber` (or of any subscriber) is running. */
  idle(subscriber?: string): Promise<void>;
  /**
   * Queues a stored event for a declared subscriber (durable mode: the store reader feeds declared
   * mailboxes in the store's order). Subject to dedup and capacity like any event. False if the
   * subscriber or the event's type is not declared.
   */
  inject(subscriber: string, event: EventEnvelope<string>): boolean;
  /**
   * Events waiting in `subscriber`'s mailbox (0 for an unknown name); with `deliverable`, only
   * those whose type has a handler attached.
   */
  depth(subscriber: string, options?: { deliverable?: boolean }): number;
  /** Dead letters, oldest first. */
  deadLetters(): DeadLetter[];
  /** Re-delivers a dead letter to its subscriber (queued at the end of its mailbox). False if unknown. */
  retryDeadLetter(id: string): boolean;
  /** The most recent published events, newest last. */
  recent(limit?: number): EventEnvelope<string>[];
  stats(): BusStats;
  on<K extends keyof BusEvents>(event: K, listener: (payload: BusEvents[K]) => unknown): () => void;
  /** Stops all deliveries and retry timers. Publishing after close throws. */
  close(): void;
}
