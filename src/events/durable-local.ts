/**
 * Local delivery during a store outage: events this node publishes while the store is
 * unreachable go to its own subscribers at once (in publish order) rather than after the store
 * returns. Reading them back from the store later (with their seqs) only moves the cursors past
 * them.
 */
import type { EventEnvelope } from "../registry/types.js";
import type { EventBus } from "./types.js";

export interface OutageDeliveryOptions {
  /** Declared subscribers and the types each consumes. */
  subscribers: ReadonlyMap<string, readonly string[]>;
  /** Every type some subscriber consumes. */
  types: ReadonlySet<string>;
  /** Own events not yet read back, remembered for local delivery when an outage begins. */
  unreadOwnEvents: number;
  /**
   * Events delivered locally to one subscriber in one outage, at most: past it the subscriber
   * gets the rest from the store after the outage (after these, so in order).
   */
  localDeliveryLimit: number;
  bus(): EventBus | undefined;
  /** Whether the store is unreachable now. */
  unreachable(): boolean;
  /** A subscriber that is behind (or not wanted here) is not fed locally: it catches up from the store. */
  backlogged(subscriber: string): boolean;
}

export class OutageDelivery {
  /** By subscriber, the ids of the events it received locally. */
  private readonly deliveredLocally = new Map<string, Set<string>>();
  /** Subscribers fed locally during the current outage (chosen when it began); null: none. */
  private localTo: Set<string> | null = null;
  /**
   * This node's published events of declared types that the reader has not read back yet, in
   * publish order (at most `unreadOwnEvents`): when an outage begins they are the first to be
   * delivered locally, so delivery stays in publish order across its start.
   */
  private readonly unreadOwn = new Map<string, EventEnvelope<string>>();

  constructor(private readonly options: OutageDeliveryOptions) {}

  /** Called at each publish: starts, continues or ends local delivery. */
  published(event: EventEnvelope<string>): void {
    const { options } = this;
    if (options.types.has(event.type)) {
      this.unreadOwn.set(event.id, event);
      if (this.unreadOwn.size > options.unreadOwnEvents) {
        this.unreadOwn.delete(this.unreadOwn.keys().next().value as string);
      }
    }
    if (!options.unreachable()) {
      this.localTo = null;
      return;
    }
    if (this.localTo) {
      this.deliver(event);
      return;
    }
    // The outage began: subscribers that were keeping up are fed locally from now on, starting
    // with this node's events they have not received yet.
    this.localTo = new Set([...options.subscribers.keys()].filter((n) => !options.backlogged(n)));
    for (const waiting of this.unreadOwn.values()) this.deliver(waiting);
  }

  /** The reader read `id` back from the store. */
  readBack(id: string): void {
    this.unreadOwn.delete(id);
  }

  /** Whether `subscriber` already received `id` locally (it is then no longer remembered). */
  takeDelivered(subscriber: string, id: string): boolean {
    return this.deliveredLocally.get(subscriber)?.delete(id) ?? false;
  }

  private deliver(event: EventEnvelope<string>): void {
    const bus = this.options.bus();
    if (!bus || !this.localTo || !this.options.types.has(event.type)) return;
    for (const name of this.localTo) {
      if (!this.options.subscribers.get(name)?.includes(event.type)) continue;
      let ids = this.deliveredLocally.get(name);
      if (ids && ids.size >= this.options.localDeliveryLimit) {
        // Enough kept for this outage (each id waits to be read back): the rest come from the store.
        this.localTo.delete(name);
        continue;
      }
      if (!bus.inject(name, event)) continue;
      if (!ids) {
        ids = new Set();
        this.deliveredLocally.set(name, ids);
      }
      ids.add(event.id);
    }
  }
}
