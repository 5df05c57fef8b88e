import { fileURLToPath } from "node:url";
import type { EventBus } from "../../src/events/types.js";
import { systemClock } from "../../src/internal/clock.js";
import { sleep } from "../../src/internal/sleep.js";
import type { HostContext } from "../../src/isolation/types.js";
import type { DaemonJobs, DaemonStats, LogLevel } from "../../src/registry/types.js";

export { waitFor } from "../jobs/helpers.js";

export const DAEMONS = fileURLToPath(new URL("./fixtures/daemons.ts", import.meta.url));
export const JOBS = fileURLToPath(new URL("./fixtures/jobs.ts", import.meta.url));

export interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown> | undefined;
}

const noJobs: DaemonJobs = {
  launch: () => Promise.reject(new Error("no job service")),
  launchMany: () => Promise.reject(new Error("no job service")),
  monitor: () => Promise.reject(new Error("no job service")),
  cancel: () => Promise.reject(new Error("no job service")),
  get: () => Promise.reject(new Error("no job service")),
  list: () => Promise.reject(new Error("no job service")),
};

/**
 * A host-side context on a real event bus, as the supervisor makes one for each run: what the
 * daemon logs, its heartbeats and readiness are recorded for the test to read.
 */
export function hostContext(
  bus: EventBus,
  name: string,
  options: { config?: Record<string, unknown>; jobs?: DaemonJobs } = {},
) {
  const controller = new AbortController();
  const logs: LogLine[] = [];
  const heartbeats: Array<Record<string, unknown> | undefined> = [];
  let readyCalls = 0;
  const stats: DaemonStats = {
    cycles: 0,
    cycleErrors: 0,
    consecutiveErrors: 0,
    lastCycleAt: null,
    lastCycleDurationMs: null,
  };
  const line = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) =>
    logs.push({ level, message, fields });
  const ctx: HostContext = {
    name,
    config: Object.freeze({ ...(options.config ?? {}) }),
    log: { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") },
    signal: controller.signal,
    ready: () => {
      readyCalls++;
    },
    heartbeat: (details) => heartbeats.push(details),
    sleep: (ms) => sleep(systemClock, ms, controller.signal),
    events: {
      publish: (type, payload, opts) =>
        bus.publish(type, payload, { source: name, ...(opts?.id ? { id: opts.id } : {}) }),
      subscribe: (type, handler) => bus.attach(name, type, handler as never),
    },
    jobs: options.jobs ?? noJobs,
    stats,
    node: { id: "test-node", host: "test", pid: process.pid, profile: null },
    clock: systemClock,
  };
  return { ctx, controller, logs, heartbeats, stats, readyCalls: () => readyCalls };
}

/**
 * Whether a process with this pid exists at all, zombies included (signal 0 probes without
 * sending anything; only ESRCH says it does not).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
