/**
 * The job service of one manager (see {@link JobService}): the composition of launches, monitors,
 * the worker, the shared operations, the periodic reclaim/claim/sweep loop and the counts, behind
 * one start and stop.
 */
import { coerceError } from "../internal/errors.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import type { DaemonJobs, JobActionKind, JobSpec } from "../registry/types.js";
import { JOB_SERVICE_DEFAULTS } from "./defaults.js";
import { createLaunches } from "./launches.js";
import { createMonitors } from "./monitors.js";
import { createOperations } from "./operations.js";
import { createPeriodic } from "./periodic.js";
import { createJobCounts } from "./stats.js";
import { isTerminal } from "./statuses.js";
import type { JobService, JobServiceOptions, JobUpdate } from "./types.js";
import { createWorker } from "./worker.js";

export { isTerminal, JOB_STATUSES } from "./statuses.js";

/**
 * Creates the job service of one manager (see {@link JobService}). Wiring: create it once the
 * store is open, `start()` it, give each daemon `forDaemon(name)` as `ctx.jobs`, hand it to the
 * HTTP server as its jobs API, and `stop()` it after the daemons stopped, before the store closes.
 */
export function createJobService(options: JobServiceOptions): JobService {
  const { store, clock, node, logger } = options;
  const d = JOB_SERVICE_DEFAULTS;
  const specs = new Map<string, JobSpec>();
  for (const spec of options.jobs) {
    if (specs.has(spec.type)) throw new TypeError(`job type "${spec.type}" is declared twice`);
    specs.set(spec.type, spec);
  }
  const log = logger.child({ component: "jobs" });
  const emitter = new SafeEmitter<{ status: JobUpdate; progress: JobUpdate }>((event, error) =>
    log.error({ err: coerceError(error) }, `a listener of job ${event} updates threw`),
  );
  const working = options.work ?? true;
  let state: "created" | "started" | "stopped" = "created";
  const record = (jobId: string, daemon: string, action: JobActionKind, reason: string | null) =>
    store.addJobAction({ jobId, daemon, action, reason, at: clock.now(), node: node.id });

  const launches = createLaunches({
    store,
    clock,
    specs,
    node,
    log,
    emit: (kind, update) => emitter.emit(kind, update),
    launched: () => {
      if (state === "started" && working) void worker.tick();
    },
  });
  const worker = createWorker({
    store,
    clock,
    specs,
    node,
    logger: log,
    leaseMs: options.leaseMs ?? d.leaseMs,
    progressThrottleMs: options.progressThrottleMs ?? d.progressThrottleMs,
    programs: options.programs,
    emit: (kind, update) => {
      if (!launches.hold(kind, update)) emitter.emit(kind, update);
    },
  });
  const monitors = createMonitors({
    store,
    log,
    recordMonitored: (id, daemon, reason) => record(id, daemon, "monitored", reason),
    stopped: () => state === "stopped",
  });
  emitter.on("status", (update) => {
    if (isTerminal(update.status) && monitors.watched(update.id)) void monitors.check();
  });
  const ops = createOperations({
    store,
    clock,
    log,
    monitors,
    worker,
    retentionMs: options.retentionMs ?? d.retentionMs,
    emitStatus: (update) => emitter.emit("status", update),
    record,
  });
  const counts = createJobCounts(store, clock, d.statsMaxAgeMs);
  const periodic = createPeriodic(clock, log, () => state === "started");
  const unlisten: (() => Promise<void>)[] = [];

  async function start() {
    if (state !== "created") return;
    state = "started";
    // A wake-up on `jobs` (a launch, a finish, a reclaim, here or elsewhere): claim, and look
    // at monitored jobs. Running jobs are only looked at when a cancel was asked
    // (`job_cancels`); their leases are renewed by their own timers.
    unlisten.push(
      await store.listen("jobs", () => {
        if (state !== "started") return;
        if (working) void worker.tick();
        void monitors.check();
      }),
    );
    if (working) {
      unlisten.push(
        await store.listen("job_cancels", () => {
          if (state === "started") void worker.checkCancels();
        }),
      );
    }
    periodic.every(options.pollMs ?? d.pollMs, async () => {
      await ops.reclaim();
      if (working) await worker.tick();
      await monitors.check();
    });
    periodic.every(options.sweepIntervalMs ?? d.sweepIntervalMs, () => ops.sweep());
    await ops
      .reclaim()
      .catch((thrown) =>
        log.warn({ err: coerceError(thrown) }, "jobs: reclaiming expired leases failed"),
      );
    if (working) await worker.tick();
  }

  async function stop(timeoutMs = d.stopTimeoutMs) {
    if (state === "stopped") return;
    const wasStarted = state === "started";
    state = "stopped";
    periodic.clear();
    for (const stopListening of unlisten.splice(0)) await stopListening().catch(() => {});
    if (wasStarted) await worker.stop(timeoutMs);
    monitors.failAll(new Error("the job service stopped"));
  }

  function on(
    kindOrListener: "status" | "progress" | ((update: JobUpdate) => void),
    maybeListener?: (update: JobUpdate) => void,
  ): () => void {
    if (typeof kindOrListener === "function") {
      const offs = [emitter.on("status", kindOrListener), emitter.on("progress", kindOrListener)];
      return () => {
        for (const off of offs) off();
      };
    }
    return emitter.on(kindOrListener, maybeListener as (update: JobUpdate) => void);
  }

  return {
    forDaemon(name: string): DaemonJobs {
      return {
        launch: (type, payload, launchOptions) =>
          launches.launch(name, type, payload, launchOptions),
        launchMany: (type, payloads, launchOptions) =>
          launches.launchMany(name, type, payloads, launchOptions),
        monitor: (id, monitorOptions) => monitors.monitor(name, id, monitorOptions),
        cancel: (id, reason) => ops.cancel(name, id, reason, false),
        get: ops.get,
        list: ops.list,
      };
    },
    start,
    stop,
    list: ops.list,
    get: ops.get,
    cancel: (id, reason, by = "api") => ops.cancel(by, id, reason, true),
    on: on as JobService["on"],
    stats: () => ({
      ...counts.read(state !== "stopped"),
      durations: worker.durations(),
      running: worker.runningCount(),
    }),
    sweep: ops.sweep,
    reclaim: ops.reclaim,
  };
}
