import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { BusStats, EventBus } from "../events/types.js";
import type { DaemonStatus, Manager } from "../supervisor/types.js";
import { registerBusMetrics } from "./bus-metrics.js";
import { registerDaemonMetrics } from "./daemon-metrics.js";
import { registerIsolationMetrics } from "./isolation-metrics.js";
import { registerLeaseMetrics } from "./lease-metrics.js";
import type { LeaseStats } from "./port.js";
import type { JobsApi, StoreStatsSource } from "./seams.js";

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

  new Counter({
    name: "ringmaster_uncaught_errors_total",
    help: "Uncaught exceptions and unhandled rejections in code no daemon or job owns",
    registers,
    collect() {
      this.reset();
      this.inc(sources.containment?.()?.uncaughtErrors ?? 0);
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

  registerDaemonMetrics(() => snap().statuses, registers);
  registerBusMetrics(() => snap().bus, bus, registers);
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
