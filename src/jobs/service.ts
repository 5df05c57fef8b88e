import { randomUUID } from "node:crypto";
import type { TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { coerceError } from "../internal/errors.js";
import { SafeEmitter } from "../internal/safe-emitter.js";
import { AbortedError } from "../internal/sleep.js";
import { StateConflictError } from "../registry/errors.js";
import { suggest } from "../registry/suggest.js";
import type {
  DaemonJobs,
  JobActionKind,
  JobRecord,
  JobSpec,
  JobStatus,
  LaunchOptions,
  MonitorOptions,
} from "../registry/types.js";
import type { Store } from "../store/types.js";
import { createBatcher } from "./batcher.js";
import { JOB_SERVICE_DEFAULTS } from "./defaults.js";
import { JobCancelledError, JobPayloadError, UnknownJobTypeError } from "./errors.js";
import type { JobListFilter, JobService, JobServiceOptions, JobStats, JobUpdate } from "./types.js";
import { createWorker } from "./worker.js";

export const JOB_STATUSES: readonly JobStatus[] = [
  "pending",
  "running",
  "completed",
  "failed",
  "cancelled",
];
const TERMINAL = new Set<JobStatus>(["completed", "failed", "cancelled"]);

function checkStatuses(status: string | readonly string[]): JobStatus[] {
  const list = typeof status === "string" ? [status] : [...status];
  for (const s of list) {
    if (!(JOB_STATUSES as readonly string[]).includes(s))
      throw new TypeError(`unknown job status "${s}": expected one of ${JOB_STATUSES.join(", ")}`);
  }
  return list as JobStatus[];
}

/** Whether a job has reached a status it never leaves. */
export const isTerminal = (status: JobStatus): boolean => TERMINAL.has(status);

/**
 * Creates the job service of one manager (see {@link JobService}). Wiring: create it once the
 * store is open, `start()` it, give each daemon `forDaemon(name)` as `ctx.jobs`, hand it to the
 * HTTP server as its jobs API, and `stop()` it after the daemons stopped, before the store closes.
 */
export function createJobService(options: JobServiceOptions): JobService {
  const { store, clock, node, logger } = options;
  const d = JOB_SERVICE_DEFAULTS;
  const leaseMs = options.leaseMs ?? d.leaseMs;
  const pollMs = options.pollMs ?? d.pollMs;
  const retentionMs = options.retentionMs ?? d.retentionMs;
  const sweepIntervalMs = options.sweepIntervalMs ?? d.sweepIntervalMs;
  const specs = new Map<string, JobSpec>();
  for (const spec of options.jobs) {
    if (specs.has(spec.type)) throw new TypeError(`job type "${spec.type}" is declared twice`);
    specs.set(spec.type, spec);
  }
  const log = logger.child({ component: "jobs" });
  const emitter = new SafeEmitter<{ status: JobUpdate; progress: JobUpdate }>((event, error) =>
    log.error({ err: coerceError(error) }, `a listener of job ${event} updates threw`),
  );

  const notify = (channel: "jobs" | "job_cancels" = "jobs") => {
    store.notify(channel).catch((thrown) => {
      log.debug({ err: coerceError(thrown) }, "jobs: a wake-up notification failed");
    });
  };
  /**
   * Jobs being launched here, with the worker's updates about them held back until the launch
   * emitted `pending`: a wake-up may let this worker claim (and even finish) a job before the
   * launch's own write has returned, and listeners must still see pending → running → completed.
   */
  const launching = new Map<string, { kind: "status" | "progress"; update: JobUpdate }[]>();
  const worker = createWorker({
    store,
    clock,
    specs,
    node,
    logger: log,
    leaseMs,
    progressThrottleMs: options.progressThrottleMs ?? d.progressThrottleMs,
    programs: options.programs,
    emit: (kind, update) => {
      const held = launching.get(update.id);
      if (held) held.push({ kind, update });
      else emitter.emit(kind, update);
    },
  });
  const working = options.work ?? true;

  let state: "created" | "started" | "stopped" = "created";
  const timers = new Set<TimerHandle>();
  const unlisten: (() => Promise<void>)[] = [];

  /** Repeats `fn` every `ms` on the clock while started, the next run after this one ends. */
  const every = (ms: number, fn: () => Promise<unknown>) => {
    const loop = () => {
      const timer = clock.setTimeout(async () => {
        timers.delete(timer);
        if (state !== "started") return;
        try {
          await fn();
        } catch (thrown) {
          log.warn({ err: coerceError(thrown) }, "jobs: a periodic task failed");
        }
        if (state === "started") loop();
      }, ms);
      (timer as { unref?: () => void }).unref?.();
      timers.add(timer);
    };
    loop();
  };

  // ── monitors: waiters for a terminal status ──────────────────────────────────────────────
  interface Waiter {
    settle(job: JobRecord): void;
    fail(error: Error): void;
  }
  const waiters = new Map<string, Set<Waiter>>();
  /**
   * Jobs this service is cancelling: their monitors settle only once the `cancelled` action is
   * recorded, so a job's actions read launched → cancelled → monitored.
   */
  const cancelling = new Set<string>();
  let checking: Promise<void> | undefined;
  let checkAgain = false;

  /** Looks up every monitored job once; resolves the waiters of finished ones. */
  const checkMonitors = async (): Promise<void> => {
    if (waiters.size === 0) return;
    if (checking) {
      checkAgain = true;
      return checking;
    }
    checking = (async () => {
      do {
        checkAgain = false;
        try {
          const jobs = await store.listJobs({ ids: [...waiters.keys()], limit: waiters.size });
          for (const job of jobs)
            if (isTerminal(job.status) && !cancelling.has(job.id)) settleWaiters(job);
        } catch (thrown) {
          log.debug({ err: coerceError(thrown) }, "jobs: checking monitored jobs failed");
        }
      } while (checkAgain && waiters.size > 0);
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  const settleWaiters = (job: JobRecord) => {
    const set = waiters.get(job.id);
    if (!set) return;
    waiters.delete(job.id);
    for (const waiter of set) waiter.settle(job);
  };

  emitter.on("status", (update) => {
    if (isTerminal(update.status) && waiters.has(update.id)) void checkMonitors();
  });

  const launches = createBatcher(
    (batch: Parameters<Store["launchJobs"]>[0][number][]) => store.launchJobs(batch),
    d.launchBatch,
  );

  const record = (jobId: string, daemon: string, action: JobActionKind, reason: string | null) =>
    store.addJobAction({ jobId, daemon, action, reason, at: clock.now(), node: node.id });

  // ── operations shared by daemons and the API ─────────────────────────────────────────────
  async function launch(
    daemon: string,
    type: string,
    payload: unknown,
    launchOptions: LaunchOptions,
  ): Promise<string> {
    const spec = specs.get(type);
    if (!spec) throw new UnknownJobTypeError(type, suggest(type, specs.keys()));
    if (!launchOptions || typeof launchOptions.reason !== "string") {
      throw new TypeError(`launching job "${type}": options.reason must be a string`);
    }
    let value = payload;
    if (spec.payload) {
      const parsed = spec.payload.safeParse(payload);
      if (!parsed.success) {
        throw new JobPayloadError(
          type,
          parsed.error.issues.map(
            (issue) =>
              `${issue.path.length > 0 ? issue.path.join(".") : "payload"}: ${issue.message}`,
          ),
        );
      }
      value = parsed.data;
    }
    const id = randomUUID();
    launching.set(id, []);
    try {
      return await writeLaunch(id, daemon, type, spec, value, launchOptions);
    } finally {
      const held = launching.get(id) ?? [];
      launching.delete(id);
      for (const { kind, update } of held) emitter.emit(kind, update);
    }
  }

  async function writeLaunch(
    id: string,
    daemon: string,
    type: string,
    spec: JobSpec,
    value: unknown,
    launchOptions: LaunchOptions,
  ): Promise<string> {
    const now = clock.now();
    const runAt =
      launchOptions.runAt instanceof Date
        ? launchOptions.runAt.getTime()
        : (launchOptions.runAt ?? now);
    // The job, its `launched` action and the wake-up of workers and monitors: one transaction,
    // shared with the launches made while the previous one was being written.
    const { job, created } = await launches.add({
      job: {
        id,
        type,
        payload: value,
        priority: launchOptions.priority ?? 0,
        maxAttempts: launchOptions.maxAttempts ?? spec.maxAttempts,
        runAt,
        dedupKey: launchOptions.dedupKey ?? null,
        launchedBy: daemon,
        reason: launchOptions.reason,
        now,
      },
      action: { daemon, action: "launched", reason: launchOptions.reason, at: now, node: node.id },
    });
    if (!created) {
      log.debug(
        { job: job.id, dedupKey: job.dedupKey },
        `jobs: ${type} already live; not launched`,
      );
      return job.id;
    }
    emitter.emit("status", toUpdate(job));
    if (state === "started" && working) void worker.tick();
    return job.id;
  }

  function monitor(daemon: string, id: string, monitorOptions: MonitorOptions = {}) {
    const done = deferred<JobRecord>();
    const { signal } = monitorOptions;
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (state === "stopped") return Promise.reject(new Error("the job service is stopped"));
    const forget = () => {
      const set = waiters.get(id);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(id);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      forget();
      done.reject(new AbortedError());
    };
    const waiter: Waiter = {
      settle(job) {
        forget();
        record(id, daemon, "monitored", `job ended ${job.status}`).then(
          () => done.resolve(job),
          (thrown) => done.reject(thrown),
        );
      },
      fail(error) {
        forget();
        done.reject(error);
      },
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const set = waiters.get(id) ?? new Set();
    set.add(waiter);
    waiters.set(id, set);
    store.getJob(id).then(
      (job) => {
        if (!job) waiter.fail(new Error(`no job with id "${id}"`));
        else if (isTerminal(job.status) && !cancelling.has(job.id)) settleWaiters(job);
      },
      (thrown) => waiter.fail(coerceError(thrown)),
    );
    return done.promise;
  }

  async function cancel(
    by: string,
    id: string,
    reason: string,
    conflict: boolean,
  ): Promise<JobRecord | undefined> {
    const before = await store.getJob(id);
    if (!before) return undefined;
    if (isTerminal(before.status)) {
      if (conflict) throw new StateConflictError(`job ${id}`, before.status, "cancel");
      return before;
    }
    cancelling.add(id);
    try {
      const job = await store.cancelJob(id, reason, clock.now());
      if (!job) return undefined;
      await record(id, by, "cancelled", reason);
      if (job.status === "cancelled") emitter.emit("status", toUpdate(job));
      else if (job.status === "running" && !worker.abort(id, new JobCancelledError(reason)))
        notify("job_cancels"); // it runs in another process: its worker looks at once
      notify();
      return job;
    } finally {
      cancelling.delete(id);
      if (waiters.has(id)) void checkMonitors();
    }
  }

  const withActions = async (id: string) => {
    const job = await store.getJob(id);
    if (!job) return undefined;
    return { ...job, actions: await store.listJobActions({ jobId: id }) };
  };

  const listJobs = async (filter: JobListFilter = {}) =>
    store.listJobs({
      ...(filter.status !== undefined ? { status: checkStatuses(filter.status) } : {}),
      ...(filter.type !== undefined ? { type: filter.type } : {}),
      ...(filter.daemon !== undefined ? { launchedBy: filter.daemon } : {}),
      limit: filter.limit ?? 100,
    });

  const toUpdate = (job: JobRecord): JobUpdate => ({
    id: job.id,
    type: job.type,
    status: job.status,
    progress: job.progress,
    message: job.progressMessage ?? undefined,
    attempt: job.attempts,
    error: job.error ?? undefined,
    at: clock.now(),
  });

  async function reclaim(): Promise<JobRecord[]> {
    const jobs = await store.reclaimJobs(clock.now());
    for (const job of jobs) {
      log.warn(
        { job: job.id, type: job.type, attempts: job.attempts, status: job.status },
        `jobs: reclaimed ${job.type} ${job.id} from a worker whose lease expired → ${job.status}`,
      );
      emitter.emit("status", toUpdate(job));
    }
    if (jobs.length > 0) notify();
    return jobs;
  }

  // ── stats ───────────────────────────────────────────────────────────────────────────────
  let counts: JobStats["byType"] = {};
  let countedAt = Number.NEGATIVE_INFINITY;
  let counting = false;
  const refreshCounts = () => {
    if (counting || state === "stopped") return;
    counting = true;
    store
      .countJobs()
      .then((c) => {
        counts = c;
        countedAt = clock.now();
      })
      .catch(() => {})
      .finally(() => {
        counting = false;
      });
  };

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
        launch: (type, payload, launchOptions) => launch(name, type, payload, launchOptions),
        monitor: (id, monitorOptions) => monitor(name, id, monitorOptions),
        cancel: (id, reason) => cancel(name, id, reason, false),
        get: withActions,
        list: listJobs,
      };
    },

    async start() {
      if (state !== "created") return;
      state = "started";
      // A wake-up on `jobs` (a launch, a finish, a reclaim, here or elsewhere): claim, and look
      // at monitored jobs. Running jobs are only looked at when a cancel was asked
      // (`job_cancels`); their leases are renewed by their own timers.
      unlisten.push(
        await store.listen("jobs", () => {
          if (state !== "started") return;
          if (working) void worker.tick();
          void checkMonitors();
        }),
      );
      if (working) {
        unlisten.push(
          await store.listen("job_cancels", () => {
            if (state === "started") void worker.checkCancels();
          }),
        );
      }
      every(pollMs, async () => {
        await reclaim();
        if (working) await worker.tick();
        await checkMonitors();
      });
      every(sweepIntervalMs, () => sweep());
      await reclaim().catch((thrown) =>
        log.warn({ err: coerceError(thrown) }, "jobs: reclaiming expired leases failed"),
      );
      if (working) await worker.tick();
    },

    async stop(timeoutMs = d.stopTimeoutMs) {
      if (state === "stopped") return;
      const wasStarted = state === "started";
      state = "stopped";
      for (const timer of timers) clock.clearTimeout(timer);
      timers.clear();
      for (const stop of unlisten.splice(0)) await stop().catch(() => {});
      if (wasStarted) await worker.stop(timeoutMs);
      for (const set of [...waiters.values()])
        for (const waiter of [...set]) waiter.fail(new Error("the job service stopped"));
    },

    list: listJobs,
    get: withActions,
    cancel: (id, reason, by = "api") => cancel(by, id, reason, true),
    on: on as JobService["on"],

    stats() {
      if (clock.now() - countedAt > d.statsMaxAgeMs) refreshCounts();
      const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<
        JobStatus,
        number
      >;
      for (const perType of Object.values(counts))
        for (const [status, n] of Object.entries(perType)) byStatus[status as JobStatus] += n ?? 0;
      return {
        byStatus,
        byType: structuredClone(counts),
        durations: worker.durations(),
        running: worker.runningCount(),
      };
    },

    sweep,
    reclaim,
  };

  async function sweep(): Promise<number> {
    const removed = await store.sweepJobs(clock.now() - retentionMs);
    if (removed > 0) log.debug({ removed }, "jobs: swept finished jobs past their retention");
    return removed;
  }
}
