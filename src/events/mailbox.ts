/**
 * One subscriber's mailbox ({@link Mailbox}) and its per-type queues ({@link TypeQueue}): the
 * data structure the bus routes into and delivers from.
 */
import type { TimerHandle } from "../internal/clock.js";
import type { EventEnvelope, EventHandler } from "../registry/types.js";
import { DedupMemory } from "./dedup.js";

/** The queue type of a subscriber that receives every event (`subscribeAll`). */
export const ALL_TYPES = "*";

const NO_HANDLERS: readonly EventHandler<string>[] = Object.freeze([]);

/**
 * The events of one type waiting in one mailbox, in mailbox order. `handlers` is replaced, never
 * mutated, so a delivery in progress keeps the list it started with.
 */
export interface TypeQueue {
  readonly mailbox: Mailbox;
  readonly type: string;
  /** Declared types collect events even while no handler is attached. */
  declared: boolean;
  handlers: readonly EventHandler<string>[];
  /**
   * Waiting events at `items[head..tail)`. The arrays are reused, never shrunk, so a mailbox that
   * fills and drains in bursts does not reallocate them on every burst.
   */
  items: (EventEnvelope<string> | undefined)[];
  /** Mailbox-wide arrival number of each item, to interleave queues in arrival order. */
  order: number[];
  head: number;
  tail: number;
  /** Listed in the bus's routing table (declared, or has a handler). */
  routed: boolean;
}

/**
 * How a mailbox came to be: `declared` (a daemon's `subscribes`), `attached` (an `attach` of an
 * undeclared type to a name nobody declared), `subscription` (`subscribe`/`subscribeAll`, removed
 * when unsubscribed).
 */
export type MailboxKind = "declared" | "attached" | "subscription";

/**
 * One subscriber's mailbox: a FIFO per event type, interleaved by arrival order, plus the state
 * of the one delivery that may be in progress. The bus drives deliveries; this class only keeps
 * the queues and the bookkeeping straight.
 *
 * Keeping a queue per type lets events of a type without a handler wait in place while events of
 * attached types flow past them, without rescanning the backlog on every delivery.
 */
export class Mailbox {
  readonly queues: TypeQueue[] = [];
  readonly byType = new Map<string, TypeQueue>();
  readonly dedup: DedupMemory;
  /** Events waiting, including the one being delivered or retried. */
  depth = 0;
  delivered = 0;
  overflowed = 0;
  private nextOrder = 0;
  /** Bumped by `detachAll`, so an older attachment's detach function does nothing. */
  generation = 0;
  /** A subscription that ended; its dead letters can no longer be retried. */
  removed = false;

  // The delivery in progress (owned by the bus).
  current: EventEnvelope<string> | null = null;
  currentQueue: TypeQueue | null = null;
  currentHandlers: readonly EventHandler<string>[] = NO_HANDLERS;
  handlerIndex = 0;
  attempts = 0;
  startedAt = 0;
  /** An async handler has not settled yet. */
  running = false;
  /** The bus is inside this mailbox's synchronous delivery loop. */
  draining = false;
  /** Listed for the next delivery pass. */
  scheduled = false;
  retryTimer: TimerHandle | null = null;
  /** Re-queued dead letters, delivered even if their id is in the dedup memory. */
  forced: Set<EventEnvelope<string>> | null = null;

  // Callbacks bound once per mailbox by the bus, so deliveries allocate no closures.
  onResolved: () => void = () => {};
  onRejected: (error: unknown) => void = () => {};
  onRetry: () => void = () => {};

  constructor(
    readonly name: string,
    public kind: MailboxKind,
    public open: boolean,
    dedupWindow: number,
    generatedId: (seq: number) => string,
  ) {
    this.dedup = new DedupMemory(dedupWindow, generatedId);
  }

  /** The queue for `type`, created if missing. */
  queue(type: string): TypeQueue {
    let q = this.byType.get(type);
    if (q === undefined) {
      q = {
        mailbox: this,
        type,
        declared: false,
        handlers: NO_HANDLERS,
        items: [],
        order: [],
        head: 0,
        tail: 0,
        routed: false,
      };
      this.byType.set(type, q);
      this.queues.push(q);
    }
    return q;
  }

  push(q: TypeQueue, event: EventEnvelope<string>): void {
    q.items[q.tail] = event;
    q.order[q.tail] = this.nextOrder++;
    q.tail++;
    this.depth++;
  }

  /** Puts `event` first in `q`, ahead of everything that arrived before it. */
  unshift(q: TypeQueue, event: EventEnvelope<string>): void {
    this.depth++;
    if (q.head === q.tail) {
      q.head = 0;
      q.tail = 1;
      q.items[0] = event;
      q.order[0] = this.nextOrder++;
      return;
    }
    const order = q.order[q.head]! - 1;
    if (q.head > 0) {
      q.head--;
      q.items[q.head] = event;
      q.order[q.head] = order;
    } else {
      q.items.splice(0, 0, event);
      q.order.splice(0, 0, order);
      q.tail++;
    }
  }

  /** The queue whose head is the next deliverable event: the earliest arrival with a handler. */
  nextQueue(): TypeQueue | null {
    const queues = this.queues;
    if (queues.length === 1) {
      const q = queues[0]!;
      return q.head < q.tail && q.handlers.length !== 0 ? q : null;
    }
    let best: TypeQueue | null = null;
    let bestOrder = Number.POSITIVE_INFINITY;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if (q.head < q.tail && q.handlers.length !== 0) {
        const order = q.order[q.head]!;
        if (order < bestOrder) {
          bestOrder = order;
          best = q;
        }
      }
    }
    return best;
  }

  /** Removes the head of `q`. */
  shift(q: TypeQueue): void {
    q.items[q.head] = undefined;
    q.head++;
    this.depth--;
    if (q.head === q.tail) {
      q.head = 0;
      q.tail = 0;
    } else if (q.head >= 1024 && q.head * 2 >= q.tail) {
      q.items.copyWithin(0, q.head, q.tail);
      q.order.copyWithin(0, q.head, q.tail);
      q.tail -= q.head;
      q.items.fill(undefined, q.tail, q.tail + q.head);
      q.head = 0;
    }
  }

  /** Drops every event waiting in `q` (an undeclared type whose last handler left). */
  clear(q: TypeQueue): void {
    let waiting = q.tail - q.head;
    if (this.currentQueue === q && this.current !== null) waiting--; // the head stays until settled
    if (waiting <= 0) return;
    const keep = this.currentQueue === q && this.current !== null ? 1 : 0;
    q.items.fill(undefined, q.head + keep, q.tail);
    q.tail = q.head + keep;
    if (keep === 0) {
      q.head = 0;
      q.tail = 0;
    }
    this.depth -= waiting;
  }

  /** Events waiting whose type has a handler attached (those that can be delivered). */
  deliverableDepth(): number {
    let n = 0;
    for (const q of this.queues) if (q.handlers.length !== 0) n += q.tail - q.head;
    return n;
  }

  /** Whether an event could be delivered right now if the mailbox were open. */
  hasDeliverable(): boolean {
    return this.nextQueue() !== null;
  }

  /** Types declared or with a handler attached. */
  types(): string[] {
    const out: string[] = [];
    for (const q of this.queues) if (q.declared || q.handlers.length !== 0) out.push(q.type);
    return out;
  }

  attachedTypes(): string[] {
    const out: string[] = [];
    for (const q of this.queues) if (q.handlers.length !== 0) out.push(q.type);
    return out;
  }
}
