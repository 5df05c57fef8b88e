/**
 * Durable delivery over a store: `createDurableDelivery` and its tuning (`DURABLE_DEFAULTS`).
 * It appends published events, feeds declared subscribers from the store after their cursors
 * (through `EventBus.inject`) and moves the cursors as events are handled.
 */
import { backoffDelay } from "../internal/backoff.js";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { SECOND } from "../registry/duration.js";
import type { EventEnvelope } from "../registry/types.js";
import type { Store } from "../store/types.js";
import type { EventJournal } from "./journal.js";
import { createOutageLog } from "./outage-log.js";
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

/** How durable delivery reads and writes a subscriber's cursor in the store. */
export interface CursorKeeping {
  get(store: Store, subscriber: string): Promise<number>;
  set(store: Store, subscriber: string, seq: number): Promise<void>;
}

const BY_NAME: CursorKeeping = {
  get: (store, subscriber) => store.getCursor(subscriber),
  set: (store, subscriber, seq) => store.setCursor(subscriber, seq),
};

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
 * `attach(bus, store)` once the store is open.
 */
export function createDurableDelivery(options: DurableDeliveryOptions) {
  const { clock, subscribers, onError } = options;
  const outageLog = createOutageLog({
    clock,
    interval: DURABLE_DEFAULTS.outageSummaryInterval,
    error: onError,
    notice: options.onNotice ?? ((line) => onError(new Error(line), "store outage")),
  });
  const cursorKeeping = options.cursors ?? BY_NAME;
  const types = new Set([...subscribers.values()].flat());
  const typeList = [...types];
  let bus: EventBus | undefined;
  let store: Store | undefined;
  let closed = false;

  // ---- appends -------------------------------------------------------------------------------
  // Published events go to the store's outage-buffered writer (`store.writes.event`), which
  // writes them in publish order, keeps them (memory, then the spool) while the store is
  // unreachable and wakes readers through the `events` channel once they are stored. Before
  // `attach`, they wait here.
  const early: EventEnvelope<string>[] = [];

  const append = (event: EventEnvelope<string>) => {
    const { seq: _seq, ...row } = event;
    (store as Store).writes.event(row);
  };

  const retryDelay = (failures: number) => backoffDelay(DURABLE_DEFAULTS.retry, failures);

  // ---- local delivery during an outage ---------------------------------------------------------
  /**
   * Events this node published while the store was unreachable, handed to its own subscribers at
   * once (in publish order) rather than after the store returns; by subscriber, their ids, so
   * that reading them back from the store (with their seqs) only moves the cursor past them.
   */
  const deliveredLocally = new Map<string, Set<string>>();
  /** Subscribers fed locally during the current outage (chosen when it began); null: none. */
  let localTo: Set<string> | null = null;
  /**
   * This node's published events of declared types that the reader has not read back yet, in
   * publish order (at most `DURABLE_DEFAULTS.unreadOwnEvents`): when an outage begins they are
   * the first to be delivered locally, so delivery stays in publish order across its start.
   */
  const unreadOwn = new Map<string, EventEnvelope<string>>();
  const deliverLocally = (event: EventEnvelope<string>) => {
    if (!bus || !localTo || !types.has(event.type)) return;
    for (const name of localTo) {
      if (!subscribers.get(name)?.includes(event.type)) continue;
      let ids = deliveredLocally.get(name);
      if (ids && ids.size >= DURABLE_DEFAULTS.localDeliveryLimit) {
        // Enough kept for this outage: the rest reach it from the store, after these, in order.
        localTo.delete(name);
        continue;
      }
      if (!bus.inject(name, event)) continue;
      if (!ids) {
        ids = new Set();
        deliveredLocally.set(name, ids);
      }
      ids.add(event.id);
    }
  };
  /** Called at each publish: starts, continues or ends local delivery. */
  const outageDelivery = (event: EventEnvelope<string>) => {
    if (types.has(event.type)) {
      unreadOwn.set(event.id, event);
      if (unreadOwn.size > DURABLE_DEFAULTS.unreadOwnEvents) {
        unreadOwn.delete(unreadOwn.keys().next().value as string);
      }
    }
    if (!(store as Store).writes.unreachable) {
      localTo = null;
      return;
    }
    if (localTo) return deliverLocally(event);
    // The outage began: subscribers that were keeping up are fed locally from now on, starting
    // with this node's events they have not received yet.
    localTo = new Set([...subscribers.keys()].filter((name) => !backlogged(name)));
    for (const waiting of unreadOwn.values()) deliverLocally(waiting);
  };

  // ---- cursors -------------------------------------------------------------------------------
  const cursorWanted = new Map<string, number>();
  const cursorWriting = new Set<string>();
  const cursors = new Map<string, number>();

  const cursorWrites = new Map<string, Promise<void>>();
  const writeCursor = (subscriber: string): Promise<void> => {
    const running = cursorWrites.get(subscriber);
    if (running) return running;
    const write = writeCursorLoop(subscriber).finally(() => cursorWrites.delete(subscriber));
    cursorWrites.set(subscriber, write);
    return write;
  };
  const writeCursorLoop = async (subscriber: string): Promise<void> => {
    if (cursorWriting.has(subscriber) || !store) return;
    cursorWriting.add(subscriber);
    let failures = 0;
    try {
      for (;;) {
        const seq = cursorWanted.get(subscriber);
        if (seq === undefined || seq <= (cursors.get(subscriber) ?? 0)) break;
        try {
          await cursorKeeping.set(store, subscriber, seq);
          cursors.set(subscriber, seq);
          failures = 0;
          outageLog.succeeded("saving subscriber cursors");
        } catch (error) {
          failures++;
          outageLog.failed("saving subscriber cursors", coerceError(error));
          if (closed) break;
          await new Promise<void>((resolve) => clock.setTimeout(resolve, retryDelay(failures)));
        }
      }
    } finally {
      cursorWriting.delete(subscriber);
    }
  };

  // ---- reading -------------------------------------------------------------------------------
  /** Last seq queued into each subscriber's mailbox. */
  const readPos = new Map<string, number>();
  let reading = false;
  let again = false;
  let sweepTimer: TimerHandle | undefined;
  let stopListening: (() => Promise<void>) | undefined;

  const wake = () => {
    if (closed || !bus || !store) return;
    if (reading) {
      again = true;
      return;
    }
    void read();
  };

  const isActive = options.active ?? (() => true);
  /** Not fed now: not wanted on this node, or its mailbox is full enough. */
  const backlogged = (subscriber: string) =>
    !isActive(subscriber) ||
    (bus as EventBus).depth(subscriber, { deliverable: true }) >=
      options.mailboxCapacity * DURABLE_DEFAULTS.highWater;

  const read = async (): Promise<void> => {
    reading = true;
    try {
      do {
        again = false;
        if (!bus || !store || closed || typeList.length === 0) return;
        let from = Number.POSITIVE_INFINITY;
        for (const [name] of subscribers) {
          if (!backlogged(name)) from = Math.min(from, readPos.get(name) ?? 0);
        }
        if (from === Number.POSITIVE_INFINITY) return;
        const rows = await store.readEvents({
          afterSeq: from,
          types: typeList,
          limit: DURABLE_DEFAULTS.readBatch,
        });
        for (const event of rows) {
          unreadOwn.delete(event.id);
          for (const [name, wanted] of subscribers) {
            if ((readPos.get(name) ?? 0) >= event.seq || backlogged(name)) continue;
            if (deliveredLocally.get(name)?.delete(event.id)) {
              readPos.set(name, event.seq);
              moveCursor(name);
              continue;
            }
            if (wanted.includes(event.type) && bus.inject(name, event)) track(name, event);
            readPos.set(name, event.seq);
          }
        }
        outageLog.succeeded(READING);
        if (rows.length === DURABLE_DEFAULTS.readBatch) again = true;
      } while (again && !closed);
    } catch (error) {
      outageLog.failed(READING, coerceError(error));
    } finally {
      reading = false;
    }
  };

  const sweep = () => {
    sweepTimer = clock.setTimeout(() => {
      wake();
      if (!closed) sweep();
    }, DURABLE_DEFAULTS.sweepInterval);
  };

  /**
   * What each subscriber still owes: the seqs queued into its mailbox and not yet handled (or
   * dead-lettered), in order. Its cursor stays just before the oldest of them, so an event that
   * waits (a slow handler, a type handled later) is never skipped by a later one; a restart
   * delivers again whatever was handled after it (at least once).
   */
  const owed = new Map<string, { seqs: number[]; head: number; done: Set<number> }>();
  const injected = new WeakSet<EventEnvelope<string>>();

  const track = (subscriber: string, event: EventEnvelope<string>) => {
    injected.add(event);
    let entry = owed.get(subscriber);
    if (!entry) {
      entry = { seqs: [], head: 0, done: new Set() };
      owed.set(subscriber, entry);
    }
    entry.seqs.push(event.seq);
  };

  /** Marks an injected event done for `subscriber` and moves its cursor as far as it may go. */
  const settleOwed = (subscriber: string, event: EventEnvelope<string>) => {
    if (!injected.has(event)) return; // a live event of an undeclared type: not the store's
    const entry = owed.get(subscriber);
    if (!entry) return;
    entry.done.add(event.seq);
    while (entry.head < entry.seqs.length && entry.done.has(entry.seqs[entry.head] as number)) {
      entry.done.delete(entry.seqs[entry.head] as number);
      entry.head++;
    }
    if (entry.head > 1024) {
      entry.seqs.splice(0, entry.head);
      entry.head = 0;
    }
    moveCursor(subscriber);
  };

  /** Moves `subscriber`'s cursor just before the oldest seq it owes (or to its read position). */
  const moveCursor = (subscriber: string) => {
    const entry = owed.get(subscriber);
    const cursor =
      entry && entry.head < entry.seqs.length
        ? (entry.seqs[entry.head] as number) - 1
        : (readPos.get(subscriber) ?? 0);
    if (cursor > (cursorWanted.get(subscriber) ?? 0)) {
      cursorWanted.set(subscriber, cursor);
      void writeCursor(subscriber);
    }
  };

  // ---- dead letters being re-delivered -------------------------------------------------------
  /**
   * Stored letters sent back to their subscriber, by subscriber and event id: the stored letter is
   * removed once its event is handled, or replaced by the new letter when it fails again — so a
   * crash in between loses neither the letter nor the event.
   */
  const redelivering = new Map<string, string>();
  const letterKey = (subscriber: string, eventId: string) => `${subscriber}\u0000${eventId}`;
  const removeLetter = (id: string) =>
    store?.removeDeadLetter(id).then(
      () => outageLog.succeeded("storing dead letters"),
      (error) => outageLog.failed("storing dead letters", coerceError(error)),
    );

  const journal: EventJournal = {
    published(event) {
      if (!store) {
        early.push(event);
        return;
      }
      // Refused (the store unreachable and the spool full): the publisher gets the error.
      append(event);
      outageDelivery(event);
    },
    handled(subscriber, event) {
      const letter = redelivering.get(letterKey(subscriber, event.id));
      if (letter !== undefined) {
        redelivering.delete(letterKey(subscriber, event.id));
        void removeLetter(letter);
      }
      if (!subscribers.has(subscriber)) return;
      settleOwed(subscriber, event);
      // a drained mailbox may want more
      if (
        bus &&
        readPos.get(subscriber) !== undefined &&
        bus.depth(subscriber, { deliverable: true }) === 0
      )
        wake();
    },
    deadLettered(letter: DeadLetter) {
      const earlier = redelivering.get(letterKey(letter.subscriber, letter.event.id));
      if (earlier !== undefined) {
        redelivering.delete(letterKey(letter.subscriber, letter.event.id));
        if (earlier !== letter.id) void removeLetter(earlier);
      }
      if (subscribers.has(letter.subscriber)) settleOwed(letter.subscriber, letter.event);
      store?.addDeadLetter(letter).then(
        () => outageLog.succeeded("storing dead letters"),
        (error) => outageLog.failed("storing dead letters", coerceError(error)),
      );
    },
  };

  return {
    journal,
    /** Starts delivery: loads cursors, listens for wake-ups, appends what was published so far. */
    async attach(theBus: EventBus, theStore: Store): Promise<void> {
      bus = theBus;
      store = theStore;
      for (const [name] of subscribers) {
        const cursor = await cursorKeeping.get(theStore, name);
        cursors.set(name, cursor);
        readPos.set(name, cursor);
      }
      stopListening = await theStore.listen("events", wake);
      sweep();
      for (const event of early.splice(0)) {
        try {
          append(event);
        } catch (error) {
          onError(
            coerceError(error),
            `storing event ${event.id} published before the store opened`,
          );
        }
      }
      wake();
    },
    /** Looks for new events now (e.g. a subscriber became wanted). */
    wake,
    /**
     * Reads `subscriber`'s cursor from the store again and feeds it from there: a cluster
     * daemon's subscriber whose lease this node just acquired resumes where the last holder
     * stopped, not where this node last read.
     */
    async reload(subscriber: string): Promise<void> {
      if (!store || !subscribers.has(subscriber)) return;
      const cursor = await cursorKeeping.get(store, subscriber);
      cursors.set(subscriber, cursor);
      readPos.set(subscriber, cursor);
      cursorWanted.delete(subscriber);
      owed.delete(subscriber);
      wake();
    },
    /**
     * Re-delivers a dead letter through `send` (the bus's retry of a live letter, or an inject of
     * one stored by an earlier process); false if `send` could not queue it. The stored letter is
     * removed when its event is handled (or replaced when it dead-letters again).
     */
    redeliver(letter: DeadLetter, send: () => boolean): boolean {
      const key = letterKey(letter.subscriber, letter.event.id);
      redelivering.set(key, letter.id);
      if (send()) return true;
      redelivering.delete(key);
      return false;
    },
    /**
     * Writes what is pending (appends and cursors) and stops. Appends the store cannot take now
     * stay in its outage buffer; the store's `close()` keeps them in the spool for the next start.
     */
    async close(): Promise<void> {
      if (store) {
        await store.writes.flush().catch((error) => {
          const { buffered, spooled } = (store as Store).health();
          onError(
            coerceError(error),
            `closing durable delivery: ${buffered} write(s) not yet stored${spooled > 0 ? ` (${spooled} kept in the spool for the next start)` : ""}`,
          );
        });
      }
      await Promise.all([...cursorWanted.keys()].map((name) => writeCursor(name).catch(() => {})));
      closed = true;
      if (sweepTimer) clock.clearTimeout(sweepTimer);
      await stopListening?.().catch(() => {});
    },
    stats: () => ({
      cursors: Object.fromEntries(cursors),
    }),
  };
}

export type DurableDelivery = ReturnType<typeof createDurableDelivery>;
