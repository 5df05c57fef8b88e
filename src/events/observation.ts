/**
 * Observation of a bus: its counters ({@link BusCounters}), the `stats()` snapshot built from
 * them, and the bus events (`published`, `delivered`, `dead-letter`) emitted to `on` listeners.
 * Observers never slow down an unobserved bus: the hot path checks one boolean per bus event,
 * and a listener that throws is reported to the bus's `onError`, never to the publisher.
 */
import type { Clock } from "../internal/clock.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import type { EventEnvelope } from "../registry/types.js";
import type { BusCore } from "./bus-core.js";
import type { Mailbox } from "./mailbox.js";
import type { BusEvents, BusStats, DeadLetter } from "./types.js";

/** The bus-wide counters of `BusStats`, bumped where the thing counted happens. */
export type BusCounters = Omit<BusStats, "deadLettersDropped" | "mailboxes">;

/** Zeroed counters, in the order `stats()` lists them. */
export function createCounters(): BusCounters {
  return { published: 0, delivered: 0, retried: 0, deadLettered: 0, duplicates: 0, overflowed: 0 };
}

/** The `on` listeners of one bus, and whether each bus event has any (read on the hot path). */
export class BusObservers {
  // A mapped copy of the interface: SafeEmitter wants a type with an implicit index signature.
  private readonly emitter: SafeEmitter<{ [K in keyof BusEvents]: BusEvents[K] }>;
  /** Whether a `published` listener is registered. */
  published = false;
  /** Whether a `delivered` listener is registered: only then are deliveries timed. */
  delivered = false;
  /** Whether a `dead-letter` listener is registered. */
  deadLetter = false;

  constructor(
    private readonly clock: Clock,
    report: (error: unknown, context: string) => void,
  ) {
    this.emitter = new SafeEmitter((event, error) => report(error, `listener:${event}`));
  }

  on<K extends keyof BusEvents>(event: K, listener: (payload: BusEvents[K]) => unknown) {
    const off = this.emitter.on(event, listener);
    this.refresh();
    return () => {
      off();
      this.refresh();
    };
  }

  emitPublished(event: EventEnvelope<string>): void {
    this.emitter.emit("published", event);
  }

  /** `started` is the clock reading when delivery began, or NaN if it was not timed. */
  emitDelivered(mailbox: Mailbox, event: EventEnvelope<string>, started: number): void {
    this.emitter.emit("delivered", {
      event,
      subscriber: mailbox.name,
      durationMs: Number.isNaN(started) ? 0 : this.clock.now() - started,
    });
  }

  emitDeadLetter(letter: DeadLetter): void {
    this.emitter.emit("dead-letter", letter);
  }

  private refresh(): void {
    this.published = this.emitter.listenerCount("published") > 0;
    this.delivered = this.emitter.listenerCount("delivered") > 0;
    this.deadLetter = this.emitter.listenerCount("dead-letter") > 0;
  }
}

/** The `stats()` snapshot: counters, dropped dead letters, and one entry per mailbox. */
export function busStats(core: BusCore): BusStats {
  return {
    ...core.counters,
    deadLettersDropped: core.deadLetters.dropped,
    mailboxes: [...core.mailboxes.values()].map((mailbox) => ({
      subscriber: mailbox.name,
      types: mailbox.types(),
      depth: mailbox.depth,
      open: mailbox.open,
      attached: mailbox.attachedTypes(),
      delivered: mailbox.delivered,
      overflowed: mailbox.overflowed,
    })),
  };
}
