/**
 * `createTestManager`: a manager for testing one's own daemons, on the memory store and a manual
 * clock, built only from the public API. It starts, runs a cycle, reads status and health, and
 * captures what the daemons publish, launch and log, all without waiting in real time.
 */
import { Cron } from "croner";
import {
  createManager,
  createManualClock,
  type DaemonSpec,
  type DaemonStatus,
  type Duration,
  defineConfig,
  type EventEnvelope,
  type EventName,
  type EventPayload,
  type HealthReport,
  type JobSpec,
  type LogLevel,
  type Manager,
  type ManagerEvents,
  type ManualClock,
  parseDuration,
  type RingmasterConfig,
  type ShutdownReport,
  type StartOptions,
  type StartReport,
} from "../index.js";
import { type LaunchedJob, recordLaunches } from "./capture.js";
import { drive, driveUntil } from "./drive.js";

export type { LaunchedJob } from "./capture.js";

export interface TestManagerOptions {
  /** The environment config is resolved from. Default `{}`: a test never reads `process.env`. */
  env?: Record<string, string | undefined>;
  /** Config values by daemon (the config file's `daemonConfig` layer), over the config's own. */
  daemonConfig?: Record<string, Record<string, unknown>>;
  /** Job handlers added to the config's (stubs for the types the daemons launch). */
  jobs?: ReadonlyArray<JobSpec>;
  /** Start of the manual clock, ms since the epoch. */
  now?: number;
}

/** One log line of a daemon. */
export interface CapturedLog {
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  at: number;
}

/** How one cycle went (the manager's `daemon:cycle` event). */
export type CycleOutcome = ManagerEvents["daemon:cycle"];

/**
 * A manager under test. Time moves only when a method moves it; every method that waits drives
 * the clock itself (`start`, `runCycle`, `checkHealth`, `shutdown`), so none waits in real time.
 */
export interface TestManager {
  /** The manager itself, for anything the harness does not wrap. */
  readonly manager: Manager;
  readonly clock: ManualClock;
  /** Every event published on the bus, by daemons and by the test, oldest first. */
  readonly events: EventEnvelope<string>[];
  /** Every job launch by a daemon, oldest first (refused ones carry `error`). */
  readonly jobs: LaunchedJob[];
  /** Every log line of a daemon, oldest first. */
  readonly logs: CapturedLog[];
  /** Starts (like `manager.start`) and resolves with the report once the set has settled. */
  start(options?: StartOptions): Promise<StartReport>;
  /** Moves time forward (a number is ms, or `"30s"`), firing what falls due. */
  advance(by: Duration): Promise<void>;
  /**
   * Moves time to the daemon's next cycle and resolves when that cycle has ended, with how it went.
   * Rejects when the daemon has no cycle or is not running.
   */
  runCycle(name: string): Promise<CycleOutcome>;
  status(): DaemonStatus[];
  status(name: string): DaemonStatus;
  /** Runs the daemon's health check now (it counts toward `unhealthyThreshold`). */
  checkHealth(name: string): Promise<HealthReport>;
  /** Publishes an event from the test (`source: "test"`) and lets its deliveries run. */
  publish<K extends EventName>(type: K, payload: EventPayload<K>): Promise<EventEnvelope<K>>;
  /** The captured events of one type. */
  eventsOf<K extends EventName>(type: K): EventEnvelope<K>[];
  /** The captured log lines of one daemon. */
  logsOf(name: string): CapturedLog[];
  /** Lets pending promise callbacks run without moving time. */
  settle(): Promise<void>;
  /** Shuts the manager down (like `manager.shutdown`), driving the clock through every stop; idempotent. */
  shutdown(options?: { timeout?: number }): Promise<ShutdownReport>;
  /** `await using t = createTestManager(…)` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

const isConfig = (input: unknown): input is RingmasterConfig =>
  typeof input === "object" && input !== null && (input as { kind?: unknown }).kind === "config";

/**
 * A fresh manager for one test: `input` is a config (`defineConfig(…)`), a list of daemon specs
 * or one spec. It runs on the memory store and a manual clock, without an HTTP server, signal
 * handlers or a logger, and resolves its config from `options.env` only. Build one per test.
 */
export function createTestManager(
  input: RingmasterConfig | ReadonlyArray<DaemonSpec> | DaemonSpec,
  options: TestManagerOptions = {},
): TestManager {
  const base = isConfig(input)
    ? input
    : defineConfig({ daemons: Array.isArray(input) ? input : [input as DaemonSpec] });
  const clock = createManualClock(options.now);
  const events: EventEnvelope<string>[] = [];
  const jobs: LaunchedJob[] = [];
  const logs: CapturedLog[] = [];
  const config: RingmasterConfig = Object.freeze({
    ...base,
    daemons: recordLaunches(base.daemons, jobs, () => clock.now()),
    jobs: [...base.jobs, ...(options.jobs ?? [])],
    daemonConfig: { ...base.daemonConfig, ...options.daemonConfig },
    store: "memory:",
    http: false as const,
  });
  const manager = createManager(config, { clock, logger: false, env: options.env ?? {} });
  manager.events.on("published", (event) => {
    events.push(event);
  });
  manager.on("daemon:log", ({ name, level, message, fields, at }) => {
    logs.push({ daemon: name, level, message, fields, at });
  });
  let shutdownReport: Promise<ShutdownReport> | undefined;

  async function runCycle(name: string): Promise<CycleOutcome> {
    const before = manager.status(name);
    const { interval, cron } = before.schedule;
    if (interval === null && cron === null) throw new Error(`${before.name} has no cycle`);
    if (before.state !== "running")
      throw new Error(`${before.name} is ${before.state}, not running: no cycle will run`);
    let outcome: CycleOutcome | undefined;
    const off = manager.on("daemon:cycle", (cycle) => {
      if (cycle.name === before.name) outcome ??= cycle;
    });
    try {
      // Straight to the cycle's due time, then on in small steps until it has ended.
      const due =
        interval !== null
          ? (before.lastCycleAt ?? clock.now()) + interval
          : (new Cron(cron as string, { paused: true }).nextRun(new Date(clock.now()))?.getTime() ??
            clock.now());
      if (due > clock.now()) await clock.advance(due - clock.now() - 1);
      await driveUntil(clock, () => outcome !== undefined, `the next cycle of ${before.name}`);
      return outcome as CycleOutcome;
    } finally {
      off();
    }
  }

  function status(): DaemonStatus[];
  function status(name: string): DaemonStatus;
  function status(name?: string): DaemonStatus | DaemonStatus[] {
    return name === undefined ? manager.status() : manager.status(name);
  }

  const shutdown = (shutdownOptions?: { timeout?: number }) => {
    shutdownReport ??= drive(clock, manager.shutdown(shutdownOptions), "the shutdown");
    return shutdownReport;
  };

  return {
    manager,
    clock,
    events,
    jobs,
    logs,
    start: (startOptions) => drive(clock, manager.start(startOptions), "the start"),
    advance: (by) => clock.advance(parseDuration(by, "advance")),
    runCycle,
    status,
    checkHealth: (name) => drive(clock, manager.checkHealth(name), `the health check of ${name}`),
    async publish(type, payload) {
      const event = manager.events.publish(type, payload, { source: "test" });
      await clock.settle();
      return event;
    },
    eventsOf: <K extends EventName>(type: K) =>
      events.filter((e) => e.type === type) as EventEnvelope<K>[],
    logsOf: (name) => logs.filter((l) => l.daemon === name),
    settle: () => clock.settle(),
    shutdown,
    async [Symbol.asyncDispose]() {
      await shutdown();
    },
  };
}
