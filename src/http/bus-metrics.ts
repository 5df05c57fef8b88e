/** `ringmaster_events_*`, dead letters and mailbox depth: the bus's counts, one snapshot per scrape. */
import { Counter, Gauge, type Registry } from "prom-client";
import type { BusStats, EventBus } from "../events/types.js";

export function registerBusMetrics(
  stats: () => BusStats,
  bus: Pick<EventBus, "deadLetters">,
  registers: Registry[],
): void {
  const busCounter = (name: string, help: string, read: (stats: BusStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(stats()));
      },
    });
  busCounter(
    "ringmaster_events_published_total",
    "Events published on the bus",
    (b) => b.published,
  );
  busCounter(
    "ringmaster_events_delivered_total",
    "Event deliveries to subscribers that succeeded",
    (b) => b.delivered,
  );
  busCounter(
    "ringmaster_events_retried_total",
    "Event deliveries retried after a handler threw",
    (b) => b.retried,
  );
  busCounter(
    "ringmaster_events_dead_lettered_total",
    "Events moved to the dead-letter list (handler failed every attempt, or mailbox full)",
    (b) => b.deadLettered,
  );
  busCounter(
    "ringmaster_events_mailbox_overflow_total",
    "Events dead-lettered because a mailbox was full",
    (b) => b.overflowed,
  );
  busCounter(
    "ringmaster_events_duplicates_total",
    "Deliveries skipped because the subscriber had already seen the event id",
    (b) => b.duplicates,
  );
  busCounter(
    "ringmaster_dead_letters_dropped_total",
    "Dead letters dropped because the dead-letter list was full",
    (b) => (b as { deadLettersDropped?: number }).deadLettersDropped ?? 0,
  );

  new Gauge({
    name: "ringmaster_dead_letters",
    help: "Dead letters waiting to be retried",
    registers,
    collect() {
      this.set(bus.deadLetters().length);
    },
  });

  new Gauge({
    name: "ringmaster_mailbox_depth",
    help: "Events waiting in each subscriber's mailbox",
    labelNames: ["subscriber"],
    registers,
    collect() {
      this.reset();
      for (const m of stats().mailboxes) this.set({ subscriber: m.subscriber }, m.depth);
    },
  });
}
