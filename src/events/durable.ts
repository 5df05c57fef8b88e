/**
 * Durable delivery over a store: `createDurableDelivery` and its tuning (`DURABLE_DEFAULTS`).
 * It appends published events, feeds declared subscribers from the store after their cursors
 * (through `EventBus.inject`) and moves the cursors as events are handled.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { SECOND } from "../registry/duration.js";
import type { EventEnvelope } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { BY_NAME, type CursorKeeping, SubscriberCursors } from "./durable-cursors.js";
import { OutageDelivery } from "./durable-local.js";
import type { EventJournal } from "./journal.js";
import { createOutageLog } from "./outage-log.js";

export type { CursorKeeping } from "./durable-cursors.js";

import type { DeadLetter, EventBus } from "./types.js";

/** Tuning of durable delivery, in one place. Durations are milliseconds. */
export const DURABLE_DEFAULTS = {
  /** Events read from the store per query. */
  readBatch: 500,
  /**
   * A subscriber with this share of its capacity waiting to be handled is not fed until it
   * drains. Events of a type it has no handler for do not count: they fill the mailbox up to its
   * capacity and then overflow to the dead letters, as in memory.
   */
  highWater: 0.5,
  /** A safety-net read this often, besides wake-ups (store notifications, local appends). */
  sweepInterval: 1 * SECOND,
  /** Own events not yet read back, remembered for local delivery when an outage begins. */
  unreadOwnEvents: 10_000,
  /**
   * Events delivered locally to one subscriber during an outage, at most (their ids are kept
   * until read back, ~80 bytes each): beyond it the subscriber waits for the store, where the
   * rest are, so a long outage does not grow the heap without bound.
   */
  localDeliveryLimit: 50_000,
  /** A failure repeated during an outage is logged once, then summarised this often. */
  outageSummaryInterval: 30 * SECOND,
  /** Retry delays for cursor writes while the store is unreachable. */
  retry: { initialDelay: 100, factor: 2, maxDelay: 5 * SECOND },
};

const READING = "reading events from the store (retrying)";
const LETTERS = "storing dead letters";
const letterKey = (subscriber: string, eventId: string) => `${subscriber}\u0000${eventId}`;

export interface DurableDeliveryOptions {
  clock: Clock;
  /** Declared subscribers and the types each consumes. */
  subscribers: ReadonlyMap<string, readonly string[]>;
  mailboxCapacity: number;
  onError: (error: Error, context: string) => void;
  /**
   * One-line notices: during a store outage a repeated failure is reported to `onError` once,
   * then summarised here every `DURABLE_DEFAULTS.outageSummaryInterval`, then "recovered after N s".
   * Default: `onError` with the line as the error.
   */
  onNotice?: (message: string) => void;
  /**
   * Whether a subscriber should be fed now (its daemon is wanted on this node). Others keep their
   * cursor and catch up from the store once they are wanted. Default: all.
   */
  active?: (subscriber: string) => boolean;
  /**
   * Where each subscriber's cursor is kept. Default: the store's cursor by subscriber name. The
   * cluster keeps one per (node, subscriber) for node-scoped daemons and one fenced by the lease
   * for cluster daemons (DESIGN.md §8); a fenced-off write resolves without moving anything.
   */
  cursors?: CursorKeeping;
}

/**
 * Durable delivery over a store (DESIGN.md §5). Published events are appended to the store (in
 * publish order, batched); declared subscribers are fed from the store in its sequence order,
 * starting after their cursor, and each handled event moves the cursor. So after a restart of
 * the whole process, even after `kill -9`, each subscriber resumes after the last event it
 * handled; events from other processes sharing the store arrive the same way, woken by the
 * store's notifications (PostgreSQL `LISTEN/NOTIFY`, SQLite polling).
 *
 * Delivery is at least once: an event handled in the instant before a crash, whose cursor write
 * had not landed, is delivered again after the restart.
 *
 * Use: create it, pass `journal` to `createEventBus({ external: true, journal })`, then call
 * `attach(bus, store)` once the store is open. The cursors live in `durable-cursors.ts`, local
 * delivery during an outage in `durable-local.ts`.
 */
export function createDurableDelivery(options: DurableDeliveryOptions): DurableDelivery {
  return new DurableDelivery(options);
}

export class DurableDelivery {
  /** What the bus tells durable delivery: publishes, handled events, dead letters. */
  readonly journal: EventJournal;
  private readonly outageLog: ReturnType<typeof createOutageLog>;
  private readonly cursors: SubscriberCursors;
  private readonly local: OutageDelivery;
  private readonly subscribers: ReadonlyMap<string, readonly string[]>;
  private readonly typeList: string[];
  private bus: EventBus | undefined;
  private store: Store | undefined;
  private closed = false;
  /** Published before `attach`: appended once the store is open. */
  private readonly early: EventEnvelope<string>[] = [];
  private reading = false;
  private again = false;
  private sweepTimer: TimerHandle | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  /**
   * Stored letters sent back to their subscriber, by subscriber and event id: the stored letter is
   * removed once its event is handled, or replaced by the new letter when it fails again — so a
   * crash in between loses neither the letter nor the event.
   */
  private readonly redelivering = new Map<string, string>();

  constructor(private readonly options: DurableDeliveryOptions) {
    const { clock, subscribers, onError } = options;
    this.subscribers = subscribers;
    this.outageLog = createOutageLog({
      clock,
      interval: DURABLE_DEFAULTS.outageSummaryInterval,
      error: onError,
      notice: options.onNotice ?? ((line) => onError(new Error(line), "store outage")),
    });
    this.cursors = new SubscriberCursors({
      clock,
      keeping: options.cursors ?? BY_NAME,
      outageLog: this.outageLog,
      retry: DURABLE_DEFAULTS.retry,
    });
    const types = new Set([...subscribers.values()].flat());
    this.typeList = [...types];
    this.local = new OutageDelivery({
      subscribers,
      types,
      unreadOwnEvents: DURABLE_DEFAULTS.unreadOwnEvents,
      localDeliveryLimit: DURABLE_DEFAULTS.localDeliveryLimit,
      bus: () => this.bus,
      unreachable: () => (this.store as Store).writes.unreachable,
      backlogged: (name) => this.backlogged(name),
    });
    this.journal = {
      published: (event) => this.published(event),
      handled: (subscriber, event) => this.handled(subscriber, event),
      deadLettered: (letter) => this.deadLettered(letter),
    };
  }

  /** Starts delivery: loads cursors, listens for wake-ups, appends what was published so far. */
  async attach(theBus: EventBus, theStore: Store): Promise<void> {
    this.bus = theBus;
    this.store = theStore;
    for (const [name] of this.subscribers) await this.cursors.load(theStore, name);
    this.stopListening = await theStore.listen("events", this.wake);
    this.sweep();
    for (const event of this.early.splice(0)) {
      try {
        this.append(event);
      } catch (error) {
        this.options.onError(
          coerceError(error),
          `storing event ${event.id} published before the store opened`,
        );
      }
    }
    this.wake();
  }

  /** Looks for new events now (e.g. a subscriber became wanted). */
  readonly wake = (): void => {
    if (this.closed || !this.bus || !this.store) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.read();
  };

  /**
   * Reads `subscriber`'s cursor from the store again and feeds it from there: a cluster
   * daemon's subscriber whose lease this node just acquired resumes where the last holder
   * stopped, not where this node last read.
   */
  async reload(subscriber: string): Promise<void> {
    if (!this.store || !this.subscribers.has(subscriber)) return;
    await this.cursors.load(this.store, subscriber);
    this.wake();
  }

  /**
   * Re-delivers a dead letter through `send` (the bus's retry of a live letter, or an inject of
   * one stored by an earlier process); false if `send` could not queue it. The stored letter is
   * removed when its event is handled (or replaced when it dead-letters again).
   */
  redeliver(letter: DeadLetter, send: () => boolean): boolean {
    const key = letterKey(letter.subscriber, letter.event.id);
    this.redelivering.set(key, letter.id);
    if (send()) return true;
    this.redelivering.delete(key);
    return false;
  }

  /**
   * Writes what is pending (appends and cursors) and stops. Appends the store cannot take now
   * stay in its outage buffer; the store's `close()` keeps them in the spool for the next start.
   */
  async close(): Promise<void> {
    const { store } = this;
    if (store) {
      await store.writes.flush().catch((error) => {
        const { buffered, spooled } = store.health();
        this.options.onError(
          coerceError(error),
          `closing durable delivery: ${buffered} write(s) not yet stored${spooled > 0 ? ` (${spooled} kept in the spool for the next start)` : ""}`,
        );
      });
    }
    await this.cursors.close();
    this.closed = true;
    if (this.sweepTimer) this.options.clock.clearTimeout(this.sweepTimer);
    await this.stopListening?.().catch(() => {});
  }

  stats(): { cursors: Record<string, number> } {
    return { cursors: this.cursors.snapshot() };
  }

  // ---- the journal ---------------------------------------------------------------------------

  private published(event: EventEnvelope<string>): void {
    if (!this.store) {
      this.early.push(event);
      return;
    }
    // Refused (the store unreachable and the spool full): the publisher gets the error.
    this.append(event);
    this.local.published(event);
  }

  private handled(subscriber: string, event: EventEnvelope<string>): void {
    const key = letterKey(subscriber, event.id);
    const letter = this.redelivering.get(key);
    if (letter !== undefined) {
      this.redelivering.delete(key);
      void this.removeLetter(letter);
    }
    if (!this.subscribers.has(subscriber)) return;
    this.cursors.settle(subscriber, event);
    // a drained mailbox may want more
    const { bus } = this;
    if (
      bus &&
      this.cursors.readPos.get(subscriber) !== undefined &&
      bus.depth(subscriber, { deliverable: true }) === 0
    )
      this.wake();
  }

  private deadLettered(letter: DeadLetter): void {
    const key = letterKey(letter.subscriber, letter.event.id);
    const earlier = this.redelivering.get(key);
    if (earlier !== undefined) {
      this.redelivering.delete(key);
      if (earlier !== letter.id) void this.removeLetter(earlier);
    }
    if (this.subscribers.has(letter.subscriber))
      this.cursors.settle(letter.subscriber, letter.event);
    this.store?.addDeadLetter(letter).then(
      () => this.outageLog.succeeded(LETTERS),
      (error) => this.outageLog.failed(LETTERS, coerceError(error)),
    );
  }

  // ---- appends and reads ---------------------------------------------------------------------

  /**
   * Published events go to the store's outage-buffered writer (`store.writes.event`), which
   * writes them in publish order, keeps them (memory, then the spool) while the store is
   * unreachable and wakes readers through the `events` channel once they are stored.
   */
  private append(event: EventEnvelope<string>): void {
    const { seq: _seq, ...row } = event;
    (this.store as Store).writes.event(row);
  }

  /** Not fed now: not wanted on this node, or its mailbox is full enough. */
  private backlogged(subscriber: string): boolean {
    return (
      !(this.options.active?.(subscriber) ?? true) ||
      (this.bus as EventBus).depth(subscriber, { deliverable: true }) >=
        this.options.mailboxCapacity * DURABLE_DEFAULTS.highWater
    );
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const { bus, store } = this;
        if (!bus || !store || this.closed || this.typeList.length === 0) return;
        const { readPos } = this.cursors;
        let from = Number.POSITIVE_INFINITY;
        for (const [name] of this.subscribers) {
          if (!this.backlogged(name)) from = Math.min(from, readPos.get(name) ?? 0);
        }
        if (from === Number.POSITIVE_INFINITY) return;
        const rows = await store.readEvents({
          afterSeq: from,
          types: this.typeList,
          limit: DURABLE_DEFAULTS.readBatch,
        });
        for (const event of rows) this.feed(bus, event);
        this.outageLog.succeeded(READING);
        if (rows.length === DURABLE_DEFAULTS.readBatch) this.again = true;
      } while (this.again && !this.closed);
    } catch (error) {
      this.outageLog.failed(READING, coerceError(error));
    } finally {
      this.reading = false;
    }
  }

  /** Hands one event read from the store to each subscriber that is due for it. */
  private feed(bus: EventBus, event: EventEnvelope<string>): void {
    const { cursors } = this;
    this.local.readBack(event.id);
    for (const [name, wanted] of this.subscribers) {
      if ((cursors.readPos.get(name) ?? 0) >= event.seq || this.backlogged(name)) continue;
      if (this.local.takeDelivered(name, event.id)) {
        cursors.readPos.set(name, event.seq);
        cursors.move(name);
        continue;
      }
      if (wanted.includes(event.type) && bus.inject(name, event)) cursors.track(name, event);
      cursors.readPos.set(name, event.seq);
    }
  }

  /** A safety-net read every `sweepInterval`, besides wake-ups. */
  private sweep(): void {
    this.sweepTimer = this.options.clock.setTimeout(() => {
      this.wake();
      if (!this.closed) this.sweep();
    }, DURABLE_DEFAULTS.sweepInterval);
  }

  private removeLetter(id: string): Promise<void> | undefined {
    return this.store?.removeDeadLetter(id).then(
      () => this.outageLog.succeeded(LETTERS),
      (error) => this.outageLog.failed(LETTERS, coerceError(error)),
    );
  }
}
