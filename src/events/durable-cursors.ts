/**
 * The subscriber cursors of durable delivery: where each declared subscriber has read to, what it
 * still owes (queued and not yet handled), and the writes that move its cursor in the store.
 */
import { backoffDelay } from "../internal/backoff.js";
import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { EventEnvelope } from "../registry/types.js";
import type { Store } from "../store/types.js";
import type { createOutageLog } from "./outage-log.js";

/** How durable delivery reads and writes a subscriber's cursor in the store. */
export interface CursorKeeping {
  get(store: Store, subscriber: string): Promise<number>;
  set(store: Store, subscriber: string, seq: number): Promise<void>;
}

/** The default: the store's cursor by subscriber name. */
export const BY_NAME: CursorKeeping = {
  get: (store, subscriber) => store.getCursor(subscriber),
  set: (store, subscriber, seq) => store.setCursor(subscriber, seq),
};

const SAVING = "saving subscriber cursors";

export interface SubscriberCursorsOptions {
  clock: Clock;
  keeping: CursorKeeping;
  outageLog: ReturnType<typeof createOutageLog>;
  /** Retry delays for cursor writes while the store is unreachable. */
  retry: { initialDelay: number; factor: number; maxDelay: number };
}

/**
 * Each subscriber's positions: `readPos`, the last seq queued into its mailbox; the seqs it owes
 * (queued, not yet handled or dead-lettered), in order; and its cursor, kept just before the
 * oldest of those, so an event that waits (a slow handler, a type handled later) is never skipped
 * by a later one, and a restart delivers again whatever was handled after it (at least once).
 */
export class SubscriberCursors {
  /** Last seq queued into each subscriber's mailbox. */
  readonly readPos = new Map<string, number>();
  /** The cursor last stored for each subscriber. */
  private readonly stored = new Map<string, number>();
  private readonly wanted = new Map<string, number>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly owed = new Map<string, { seqs: number[]; head: number; done: Set<number> }>();
  private readonly injected = new WeakSet<EventEnvelope<string>>();
  private store: Store | undefined;
  private closed = false;

  constructor(private readonly options: SubscriberCursorsOptions) {}

  /** Reads `subscriber`'s cursor from the store and starts reading after it (forgets what it owed). */
  async load(store: Store, subscriber: string): Promise<void> {
    this.store = store;
    const cursor = await this.options.keeping.get(store, subscriber);
    this.stored.set(subscriber, cursor);
    this.readPos.set(subscriber, cursor);
    this.wanted.delete(subscriber);
    this.owed.delete(subscriber);
  }

  /** `event` was queued into `subscriber`'s mailbox from the store: it owes it now. */
  track(subscriber: string, event: EventEnvelope<string>): void {
    this.injected.add(event);
    let entry = this.owed.get(subscriber);
    if (!entry) {
      entry = { seqs: [], head: 0, done: new Set() };
      this.owed.set(subscriber, entry);
    }
    entry.seqs.push(event.seq);
  }

  /** Marks an injected event done for `subscriber` and moves its cursor as far as it may go. */
  settle(subscriber: string, event: EventEnvelope<string>): void {
    if (!this.injected.has(event)) return; // a live event of an undeclared type: not the store's
    const entry = this.owed.get(subscriber);
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
    this.move(subscriber);
  }

  /** Moves `subscriber`'s cursor just before the oldest seq it owes (or to its read position). */
  move(subscriber: string): void {
    const entry = this.owed.get(subscriber);
    const cursor =
      entry && entry.head < entry.seqs.length
        ? (entry.seqs[entry.head] as number) - 1
        : (this.readPos.get(subscriber) ?? 0);
    if (cursor > (this.wanted.get(subscriber) ?? 0)) {
      this.wanted.set(subscriber, cursor);
      void this.write(subscriber);
    }
  }

  /** Writes every cursor that moved, then writes no more (failures are retried until then). */
  async close(): Promise<void> {
    await Promise.all([...this.wanted.keys()].map((name) => this.write(name).catch(() => {})));
    this.closed = true;
  }

  /** The cursors stored so far, by subscriber. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.stored);
  }

  /** One write loop per subscriber at a time; it writes the latest wanted cursor until stored. */
  private write(subscriber: string): Promise<void> {
    const running = this.writes.get(subscriber);
    if (running) return running;
    const write = this.writeLoop(subscriber).finally(() => this.writes.delete(subscriber));
    this.writes.set(subscriber, write);
    return write;
  }

  private async writeLoop(subscriber: string): Promise<void> {
    const { store } = this;
    if (!store) return;
    const { clock, keeping, outageLog, retry } = this.options;
    let failures = 0;
    for (;;) {
      const seq = this.wanted.get(subscriber);
      if (seq === undefined || seq <= (this.stored.get(subscriber) ?? 0)) return;
      try {
        await keeping.set(store, subscriber, seq);
        this.stored.set(subscriber, seq);
        failures = 0;
        outageLog.succeeded(SAVING);
      } catch (error) {
        failures++;
        outageLog.failed(SAVING, coerceError(error));
        if (this.closed) return;
        const delay = backoffDelay(retry, failures);
        await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      }
    }
  }
}
