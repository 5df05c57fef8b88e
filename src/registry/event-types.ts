/**
 * The event vocabulary: the `Events` map applications extend, the envelope a subscriber receives,
 * the bus as a daemon sees it (`ctx.events`) and the bus's tuning options (DESIGN.md §5).
 */

/**
 * Event types and their payloads. Applications extend it by declaration merging:
 *
 * ```ts
 * declare module "ringmaster" {
 *   interface Events { DATA_SYNC_COMPLETED: { files: number } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface Events {}

/** A declared event type; any string while the application declares none. */
export type EventName = [keyof Events] extends [never] ? string : keyof Events & string;
/** The payload of event type `K`. */
export type EventPayload<K extends string> = K extends keyof Events ? Events[K] : unknown;

/** An event as delivered: the envelope of DESIGN.md §5. */
export interface EventEnvelope<K extends string = EventName> {
  /** Unique id; a subscriber sees a given id once (within the dedup window). */
  id: string;
  type: K;
  payload: EventPayload<K>;
  /** The daemon (or "manager", or an application-chosen name) that published it. */
  source: string;
  /** Publish time, ms since the epoch, from the manager's clock. */
  time: number;
  /** Position in the bus's publish order, starting at 1. */
  seq: number;
}

export type EventHandler<K extends string = EventName> = (
  event: EventEnvelope<K>,
) => void | Promise<void>;

/** The bus as a daemon sees it: publishing is stamped with the daemon's name. */
export interface DaemonEvents {
  publish<K extends EventName>(
    type: K,
    payload: EventPayload<K>,
    options?: { id?: string },
  ): EventEnvelope<K>;
  /**
   * Handles events of `type`. For a type listed in the daemon's `subscribes`, events that arrived
   * before this call (while the daemon was starting, restarting or paused) are delivered first,
   * in order. The subscription ends when the daemon stops; the returned function ends it sooner.
   */
  subscribe<K extends EventName>(type: K, handler: EventHandler<K>): () => void;
}

export interface EventBusOptions {
  /** Events a mailbox holds before new ones are dead-lettered. */
  mailboxCapacity: number;
  /** Event ids remembered per subscriber to drop duplicates. */
  dedupWindow: number;
  /** Delivery attempts per event and subscriber before it is dead-lettered. */
  maxAttempts: number;
  /** ms before the first retry; doubles after each. */
  retryDelay: number;
  /** Dead letters kept in memory (oldest dropped first, and counted). */
  deadLetterCapacity: number;
  /** Recent events kept for listing. */
  historySize: number;
}
