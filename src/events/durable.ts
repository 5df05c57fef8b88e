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
  /** Retry delays for appends and cursor writes while the store is unreachable. */
  retry: { initialDelay: 100, factor: 2, maxDelay: 5 * SECOND },
};

export interface DurableDeliveryOptions {
  clock: Clock;
  /** Declared subscribers and the types each consumes. */
  subscribers: ReadonlyMap<string, readonly string[]>;
  mailboxCapacity: number;
  onError: (error: Error, context: string) => void;
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
  const cursorKeeping = options.cursors ?? BY_NAME;
  const types = new Set([...subscribers.values()].flat());
  const typeList = [...types];
  let bus: EventBus | undefined;
  let store: Store | undefined;
  let closed = false;

  // ---- appends -------------------------------------------------------------------------------
  const toAppend: EventEnvelope<string>[] = [];
  let appending = false;
  let appendFailures = 0;
  let appendTimer: TimerHandle | undefined;
  let appendScheduled = false;
  let closing = false;
  let appended = 0;

  const scheduleAppend = () => {
    if (appendScheduled || appending || appendTimer || !store || closed) return;
    appendScheduled = true;
    queueMicrotask(() => {
      appendScheduled = false;
      void appendNow();
    });
  };

  const retryDelay = (failures: number) => backoffDelay(DURABLE_DEFAULTS.retry, failures);

  let inFlight: Promise<void> | undefined;
  /** Appends the next batch; while one is in flight, returns that one. */
  const appendNow = (): Promise<void> => {
    if (inFlight) return inFlight;
    if (!store || toAppend.length === 0) return Promise.resolve();
    const target = store;
    appending = true;
    inFlight = (async () => {
      const batch = toAppend.slice(0, 1000);
      try {
        await target.appendEvents(batch.map(({ seq: _seq, ...rest }) => rest));
        toAppend.splice(0, batch.length);
        appended += batch.length;
        appendFailures = 0;
        wake();
      } catch (error) {
        appendFailures++;
        if (appendFailures === 1)
          onError(
            coerceError(error),
            `appending ${batch.length} event(s) to the store (kept, retrying)`,
          );
        if (!closing) {
          appendTimer = clock.setTimeout(() => {
            appendTimer = undefined;
            void appendNow();
          }, retryDelay(appendFailures));
        }
      } finally {
        appending = false;
        inFlight = undefined;
      }
      if (toAppend.length > 0 && !appendTimer && !closing) scheduleAppend();
    })();
    return inFlight;
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
        } catch (error) {
          failures++;
          if (failures === 1)
            onError(coerceError(error), `saving the cursor of ${subscriber} (retrying)`);
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
          for (const [name, wanted] of subscribers) {
            if ((readPos.get(name) ?? 0) >= event.seq || backlogged(name)) continue;
            if (wanted.includes(event.type) && bus.inject(name, event)) track(name, event);
            readPos.set(name, event.seq);
          }
        }
        if (rows.length === DURABLE_DEFAULTS.readBatch) again = true;
      } while (again && !closed);
    } catch (error) {
      onError(coerceError(error), "reading events from the store (will retry)");
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
    const cursor =
      entry.head < entry.seqs.length
        ? (entry.seqs[entry.head] as number) - 1
        : (readPos.get(subscriber) ?? 0);
    if (cursor > (cursorWanted.get(subscriber) ?? 0)) {
      cursorWanted.set(subscriber, cursor);
      void writeCursor(subscriber);
    }
  };

  const journal: EventJournal = {
    published(event) {
      toAppend.push(event);
      scheduleAppend();
    },
    handled(subscriber, event) {
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
      if (subscribers.has(letter.subscriber)) settleOwed(letter.subscriber, letter.event);
      store
        ?.addDeadLetter(letter)
        .catch((error) => onError(coerceError(error), `storing dead letter ${letter.id}`));
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
      scheduleAppend();
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
    /** Writes what is pending (appends and cursors) and stops. */
    async close(): Promise<void> {
      closing = true;
      if (appendTimer) clock.clearTimeout(appendTimer);
      appendTimer = undefined;
      // Everything published must reach the store: batch after batch, a few tries if it fails.
      let tries = 0;
      while (store && toAppend.length > 0 && tries < 5) {
        const before = appendFailures;
        await appendNow();
        if (appendFailures > before) tries++;
      }
      if (toAppend.length > 0) {
        onError(
          new Error(`${toAppend.length} published event(s) could not be stored before shutdown`),
          "closing durable delivery",
        );
      }
      await Promise.all([...cursorWanted.keys()].map((name) => writeCursor(name).catch(() => {})));
      closed = true;
      if (sweepTimer) clock.clearTimeout(sweepTimer);
      await stopListening?.().catch(() => {});
    },
    stats: () => ({
      pendingAppends: toAppend.length,
      appended,
      cursors: Object.fromEntries(cursors),
    }),
  };
}

export type DurableDelivery = ReturnType<typeof createDurableDelivery>;
