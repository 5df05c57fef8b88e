import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BusStats, EventBus } from "../events/types.js";
import type { HealthStatus } from "../registry/types.js";
import { DAEMON_STATES, type DaemonStatus, type Manager } from "../supervisor/types.js";
import { registerIsolationMetrics } from "./isolation-metrics.js";
import { registerLeaseMetrics } from "./lease-metrics.js";
import type { LeaseStats } from "./port.js";
import type { JobsApi, StoreStatsSource } from "./seams.js";

const HEALTH_STATUSES: readonly HealthStatus[] = ["healthy", "degraded", "unhealthy", "unknown"];

/** Cycle durations in seconds: from a millisecond tick to a five-minute batch. */
const CYCLE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface MetricsSources {
  manager: Pick<Manager, "status" | "liveness" | "readiness">;
  bus: Pick<EventBus, "stats" | "deadLetters">;
  jobs?: JobsApi | undefined;
  store?: StoreStatsSource | undefined;
  /** Containment's counts of what no daemon owned (DESIGN.md §11). */
  containment?: (() => { uncaughtErrors: number } | undefined) | undefined;
  /** This node's cluster leases (`ringmaster_lease_*`). */
  leases?: (() => LeaseStats) | undefined;
}

export interface Metrics {
  readonly contentType: string;
  /** The Prometheus text exposition, read from the manager at call time. */
  render(): Promise<string>;
}

/**
 * The `/metrics` registry of one manager: its own prom-client `Registry` (several managers may
 * live in one process), every name prefixed `ringmaster_`. Nothing is counted between scrapes:
 * each metric's `collect` reads one snapshot of `manager.status()` and `bus.stats()` taken when the
 * scrape starts, so an idle manager pays nothing for being observable.
 *
 * The cycle-duration histogram is sampled at scrape time: for each daemon that ran cycles since
 * the previous scrape it observes the last cycle's duration once (so its `_count` can be lower
 * than `ringmaster_daemon_cycles_total`). A `daemon:cycle` manager event would make it exact.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const { manager, bus } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ringmaster_" });
  // Gauges named like counters (promtool rejects them); `*_active_{handles,requests,resources}`
  // by type carry the same numbers.
  for (const name of ["handles", "requests", "resources"])
    registry.removeSingleMetric(`ringmaster_nodejs_active_${name}_total`);
  const registers = [registry];

  let snapshot: { statuses: DaemonStatus[]; bus: BusStats } | undefined;
  const snap = () => {
    snapshot ??= { statuses: manager.status(), bus: bus.stats() };
    return snapshot;
  };

  /** Sets a counter to a cumulative value the manager keeps (they never go down in its life). */
  const setCounter = (counter: Counter<string>, labels: Record<string, string>, value: number) =>
    counter.inc(labels, value);

  new Gauge({
    name: "ringmaster_daemon_state",
    help: "1 for the state each daemon is in, 0 for the others",
    labelNames: ["daemon", "state"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses)
        for (const state of DAEMON_STATES)
          this.set({ daemon: s.name, state }, s.state === state ? 1 : 0);
    },
  });

  new Gauge({
    name: "ringmaster_daemon_health",
    help: "1 for the health status of each daemon's last check, 0 for the others",
    labelNames: ["daemon", "status"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses)
        for (const status of HEALTH_STATUSES)
          this.set({ daemon: s.name, status }, s.health.status === status ? 1 : 0);
    },
  });

  new Counter({
    name: "ringmaster_daemon_restarts_total",
    help: "Restarts of each daemon, automatic and manual",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses) setCounter(this, { daemon: s.name }, s.restarts);
    },
  });

  new Counter({
    name: "ringmaster_event_loop_stalls_total",
    help: "Stalls of the event loop over stallThreshold while each daemon's code ran",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses) setCounter(this, { daemon: s.name }, s.stalls);
    },
  });

  new Counter({
    name: "ringmaster_uncaught_errors_total",
    help: "Uncaught exceptions and unhandled rejections in code no daemon or job owns",
    registers,
    collect() {
      this.reset();
      this.inc(sources.containment?.()?.uncaughtErrors ?? 0);
    },
  });

  new Counter({
    name: "ringmaster_daemon_cycles_total",
    help: "Cycles each periodic daemon has run",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses) setCounter(this, { daemon: s.name }, s.cycles);
    },
  });

  new Counter({
    name: "ringmaster_daemon_cycle_errors_total",
    help: "Cycles of each daemon that threw or timed out",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses) setCounter(this, { daemon: s.name }, s.cycleErrors);
    },
  });

  new Gauge({
    name: "ringmaster_daemon_consecutive_errors",
    help: "Cycle errors in a row for each daemon (0 after a good cycle)",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses) this.set({ daemon: s.name }, s.consecutiveErrors);
    },
  });

  new Gauge({
    name: "ringmaster_daemon_last_cycle_timestamp_seconds",
    help: "When each daemon's last cycle ended (seconds since the epoch); absent before the first",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of snap().statuses)
        if (s.lastCycleAt !== null) this.set({ daemon: s.name }, s.lastCycleAt / 1000);
    },
  });

  const seenCycles = new Map<string, number>();
  new Histogram({
    name: "ringmaster_daemon_cycle_duration_seconds",
    help: "Duration of daemon cycles, sampled at scrape time (the last cycle of each daemon that ran since the previous scrape)",
    labelNames: ["daemon"],
    buckets: CYCLE_BUCKETS,
    registers,
    collect() {
      for (const s of snap().statuses) {
        const seen = seenCycles.get(s.name) ?? 0;
        if (s.cycles > seen && s.lastCycleDurationMs !== null)
          this.observe({ daemon: s.name }, s.lastCycleDurationMs / 1000);
        seenCycles.set(s.name, s.cycles);
      }
    },
  });

  new Gauge({
    name: "ringmaster_manager_live",
    help: "1 when the liveness probe (/health) passes",
    registers,
    collect() {
      this.set(manager.liveness().ok ? 1 : 0);
    },
  });

  new Gauge({
    name: "ringmaster_manager_ready",
    help: "1 when the readiness probe (/ready) passes",
    registers,
    collect() {
      this.set(manager.readiness().ok ? 1 : 0);
    },
  });

  const busCounter = (name: string, help: string, read: (stats: BusStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(snap().bus));
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
      for (const m of snap().bus.mailboxes) this.set({ subscriber: m.subscriber }, m.depth);
    },
  });

  registerIsolationMetrics(() => snap().statuses, registers);
  if (sources.store) registerStoreMetrics(sources.store, registers);
  if (sources.jobs?.stats) registerJobMetrics(sources.jobs, registers);
  if (sources.leases) registerLeaseMetrics(sources.leases, registers);

  return {
    contentType: registry.contentType,
    async render() {
      snapshot = undefined;
      try {
        return await registry.metrics();
      } finally {
        snapshot = undefined;
      }
    },
  };
}

/** `ringmaster_store_*`: the store's batching writer (the seam for the store wiring). */
function registerStoreMetrics(read: StoreStatsSource, registers: Registry[]): void {
  new Gauge({
    name: "ringmaster_store_write_buffer_rows",
    help: "Rows waiting in the store's write buffer",
    registers,
    collect() {
      this.set(read().buffered);
    },
  });
  new Gauge({
    name: "ringmaster_store_degraded",
    help: "1 while store writes are failing and being retried",
    registers,
    collect() {
      this.set(read().degraded ? 1 : 0);
    },
  });
  new Counter({
    name: "ringmaster_store_rows_dropped_total",
    help: "Rows dropped because the write buffer was full or the database refused them",
    registers,
    collect() {
      this.reset();
      this.inc(read().dropped);
    },
  });
}

/** `ringmaster_jobs{status}` (and by type when the service reports it). */
function registerJobMetrics(jobs: JobsApi, registers: Registry[]): void {
  new Gauge({
    name: "ringmaster_jobs",
    help: "Jobs by status",
    labelNames: ["status"],
    registers,
    collect() {
      this.reset();
      const stats = jobs.stats?.();
      for (const [status, count] of Object.entries(stats?.byStatus ?? {}))
        this.set({ status }, count);
    },
  });
}
