/**
 * `ringmaster_daemon_*` (and the per-daemon stall counter): state, health, restarts, cycles and
 * their errors and durations, each read from one `manager.status()` snapshot per scrape.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { HealthStatus } from "../registry/types.js";
import { DAEMON_STATES, type DaemonStatus } from "../supervisor/types.js";

const HEALTH_STATUSES: readonly HealthStatus[] = ["healthy", "degraded", "unhealthy", "unknown"];

/** Cycle durations in seconds: from a millisecond tick to a five-minute batch. */
const CYCLE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Sets a counter to a cumulative value the manager keeps (they never go down in its life). */
const setCounter = (counter: Counter<string>, labels: Record<string, string>, value: number) =>
  counter.inc(labels, value);

export function registerDaemonMetrics(statuses: () => DaemonStatus[], registers: Registry[]): void {
  new Gauge({
    name: "ringmaster_daemon_state",
    help: "1 for the state each daemon is in, 0 for the others",
    labelNames: ["daemon", "state"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses())
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
      for (const s of statuses())
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
      for (const s of statuses()) setCounter(this, { daemon: s.name }, s.restarts);
    },
  });

  new Counter({
    name: "ringmaster_event_loop_stalls_total",
    help: "Stalls of the event loop over stallThreshold while each daemon's code ran",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses()) setCounter(this, { daemon: s.name }, s.stalls);
    },
  });

  new Counter({
    name: "ringmaster_daemon_cycles_total",
    help: "Cycles each periodic daemon has run",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses()) setCounter(this, { daemon: s.name }, s.cycles);
    },
  });

  new Counter({
    name: "ringmaster_daemon_cycle_errors_total",
    help: "Cycles of each daemon that threw or timed out",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses()) setCounter(this, { daemon: s.name }, s.cycleErrors);
    },
  });

  new Gauge({
    name: "ringmaster_daemon_consecutive_errors",
    help: "Cycle errors in a row for each daemon (0 after a good cycle)",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses()) this.set({ daemon: s.name }, s.consecutiveErrors);
    },
  });

  new Gauge({
    name: "ringmaster_daemon_last_cycle_timestamp_seconds",
    help: "When each daemon's last cycle ended (seconds since the epoch); absent before the first",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const s of statuses())
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
      for (const s of statuses()) {
        const seen = seenCycles.get(s.name) ?? 0;
        if (s.cycles > seen && s.lastCycleDurationMs !== null)
          this.observe({ daemon: s.name }, s.lastCycleDurationMs / 1000);
        seenCycles.set(s.name, s.cycles);
      }
    },
  });
}
