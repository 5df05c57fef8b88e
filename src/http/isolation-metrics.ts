/**
 * `/metrics` of isolated daemons (DESIGN.md §11): where each worker, process and command daemon
 * runs and what it uses, read from the status snapshot of the scrape. Inline daemons share the
 * manager's own figures (`ringmaster_process_*`, `ringmaster_nodejs_heap_*`) and are left out;
 * a daemon whose guest or program is not running has no series.
 */
import { Gauge, type Registry } from "prom-client";
import type { DaemonStatus } from "../supervisor/types.js";

export function registerIsolationMetrics(
  statuses: () => readonly DaemonStatus[],
  registers: Registry[],
): void {
  /** Each isolated daemon's stats, with `kind` as a label. */
  const isolated = function* () {
    for (const s of statuses()) {
      const where = s.isolation;
      if (where && where.kind !== "inline")
        yield { labels: { daemon: s.name, kind: where.kind }, where };
    }
  };

  new Gauge({
    name: "ringmaster_daemon_isolation_info",
    help: "1 for each worker, process or command daemon, labelled with where it runs now: pid (process, command) or thread_id (worker), empty while it is not running",
    labelNames: ["daemon", "kind", "pid", "thread_id"],
    registers,
    collect() {
      this.reset();
      for (const { labels, where } of isolated()) {
        // A worker's pid is the manager's own: its thread id says where it runs.
        const pid = where.kind === "worker" ? undefined : where.pid;
        this.set({ ...labels, pid: pid ?? "", thread_id: where.threadId ?? "" }, 1);
      }
    },
  });

  const figure = (
    name: string,
    help: string,
    read: (where: DaemonStatus["isolation"]) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["daemon", "kind"],
      registers,
      collect() {
        this.reset();
        for (const { labels, where } of isolated()) {
          const value = read(where);
          if (value !== undefined) this.set(labels, value);
        }
      },
    });

  figure(
    "ringmaster_daemon_rss_bytes",
    "Resident memory of each process daemon's child, or of each command daemon's whole process group, at its last sample",
    (where) => where.rssBytes,
  );
  figure(
    "ringmaster_daemon_heap_bytes",
    "Used V8 heap of each worker or process daemon's isolate at its last sample",
    (where) => where.heapBytes,
  );
  figure(
    "ringmaster_daemon_cpu_ratio",
    "CPU use of each isolated daemon over its last sample, in cores (process: the child; command: its process group, may exceed 1); for a worker, its event-loop utilization (0 to 1)",
    (where) => (where.cpuPercent !== undefined ? where.cpuPercent / 100 : undefined),
  );
}
