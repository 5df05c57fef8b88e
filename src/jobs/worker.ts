import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import { runCommandJob } from "../isolation/command-job.js";
import { runIsolatedJob } from "../isolation/host-runner.js";
import { DoNotRestart } from "../registry/errors.js";
import type {
  DaemonLogger,
  JobContext,
  JobRecord,
  JobSpec,
  LogLevel,
  NodeInfo,
} from "../registry/types.js";
import type { JobOutcome, Store } from "../store/types.js";
import { type Owner, runAs } from "../supervisor/async-context.js";
import { retryDelay } from "./backoff.js";
import {
  JobCancelledError,
  JobLeaseLostError,
  JobServiceStoppingError,
  JobTimeoutError,
} from "./errors.js";
import type { JobUpdate } from "./types.js";

export interface WorkerOptions {
  store: Store;
  clock: Clock;
  specs: ReadonlyMap<string, JobSpec>;
  node: NodeInfo;
  logger: Logger;
  leaseMs: number;
  progressThrottleMs: number;
  /** A job changed status or progress (the service fans it out). */
  emit(kind: "status" | "progress", update: JobUpdate): void;
  /** How command jobs start their programs; without it a command job's attempt fails. */
  programs?: CommandHost | undefined;
}

/** One attempt in flight. */
interface Running {
  job: JobRecord;
  spec: JobSpec;
  controller: AbortController;
  done: Promise<void>;
  /** The handler returned or threw (or was aborted): only its outcome is left to write. */
  settled: boolean;
  /** Frees the attempt's concurrency slot (once) and looks for more work. */
  release: () => void;
}

export interface DurationStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * The worker of one manager: claims due jobs of the types it handles, at most `concurrency`
 * handlers of a type at once, runs each attempt under a lease renewed every `leaseMs / 3`, and
 * writes how the attempt ended. A handler's slot frees when it settles, so the outcomes being
 * written (batched: one statement for those that end together) and the next claim overlap. A job
 * whose lease this worker lost is left to whoever holds it now.
 */
export function createWorker(options: WorkerOptions) {
  const { store, clock, specs, node, logger, leaseMs } = options;
  const running = new Map<string, Running>();
  const active = new Map<string, number>();
  const durations = new Map<string, DurationStats>();
  let ticking = false;
  let again = false;
  let stopping = false;

  const slots = (): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [type, spec] of specs) {
      const free = spec.concurrency - (active.get(type) ?? 0);
      if (free > 0) out[type] = free;
    }
    return out;
  };

  /** Claims and starts due jobs until no slot is free or nothing is due. Never throws. */
  async function tick(): Promise<void> {
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        if (stopping) break;
        const free = slots();
        if (Object.keys(free).length === 0) break;
        const claimed = await store.claimJobs({
          slots: free,
          worker: node.id,
          leaseMs,
          now: clock.now(),
        });
        for (const job of claimed) start(job);
        if (claimed.length > 0) again = true;
      } while (again);
    } catch (thrown) {
      logger.warn({ err: coerceError(thrown) }, "jobs: claiming failed; trying again later");
    } finally {
      ticking = false;
    }
  }

  function start(job: JobRecord): void {
    const spec = specs.get(job.type) as JobSpec;
    active.set(job.type, (active.get(job.type) ?? 0) + 1);
    const controller = new AbortController();
    const entry: Running = {
      job,
      spec,
      controller,
      done: Promise.resolve(),
      settled: false,
      release: () => {},
    };
    running.set(job.id, entry);
    options.emit("status", update(job));
    let released = false;
    entry.release = () => {
      if (released) return;
      released = true;
      active.set(job.type, (active.get(job.type) ?? 1) - 1);
      void tick();
    };
    entry.done = run(entry).finally(() => {
      running.delete(job.id);
      entry.release();
    });
  }

  /** One attempt: the handler, or for a command job its program. */
  function attempt(spec: JobSpec, payload: unknown, ctx: JobContext): unknown {
    const { command } = spec;
    if (!command) {
      if (spec.isolation === "inline" || !spec.module) return spec.run(payload, ctx);
      // Off the main thread: a fresh guest per attempt, ended by force after a cancel.
      return runIsolatedJob(
        {
          kind: spec.isolation,
          module: spec.module,
          maxMemory: spec.maxMemory,
          killTimeout: spec.killTimeout,
        },
        spec.type,
        payload,
        ctx,
      );
    }
    const { programs } = options;
    if (!programs) throw new Error(`job "${spec.type}" runs a program; this worker cannot`);
    return runCommandJob({
      argv: command.argv(payload),
      payload,
      ctx,
      clock,
      cwd: command.cwd,
      inheritedEnv: programs.inheritedEnv,
      env: command.env,
      killTimeout: command.killTimeout,
      maxMemory: command.maxMemory,
      tracker: programs.tracker,
    });
  }

  async function run(entry: Running): Promise<void> {
    const { job, spec, controller } = entry;
    const { signal } = controller;
    const startedAt = clock.now();
    const timers: TimerHandle[] = [];
    const abort = (reason: Error) => {
      if (!signal.aborted) controller.abort(reason);
    };

    if (spec.timeout !== undefined) {
      timers.push(
        clock.setTimeout(
          () => abort(new JobTimeoutError(`timed out after ${spec.timeout} ms`)),
          spec.timeout,
        ),
      );
    }
    let leaseTimer: TimerHandle | undefined;
    const renew = async () => {
      leaseTimer = undefined;
      if (signal.aborted) return;
      try {
        const lease = await store.renewJobLease(job.id, node.id, leaseMs, clock.now());
        if (!lease.held) abort(new JobLeaseLostError("the job's lease expired and was reclaimed"));
        else if (lease.cancelRequested) abort(await cancelReason(job.id));
      } catch (thrown) {
        logger.warn({ err: coerceError(thrown), job: job.id }, "jobs: renewing a lease failed");
      }
      if (!signal.aborted) leaseTimer = clock.setTimeout(() => void renew(), leaseMs / 3);
    };
    leaseTimer = clock.setTimeout(() => void renew(), leaseMs / 3);

    const progress = createProgress(entry);
    const ctx: JobContext = {
      id: job.id,
      attempt: job.attempts,
      signal,
      log: jobLogger(job),
      progress: progress.report,
    };
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(signal.reason);
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
    aborted.catch(() => {});

    let outcome: JobOutcome | undefined;
    try {
      // The attempt's own context: an error that escapes it (a stray timer, a forgotten
      // promise) fails this attempt, not the process (DESIGN.md §7, §11).
      const owner: Owner = {
        kind: "job",
        label: `job ${job.type} ${job.id}`,
        escaped: (error) => abort(new Error(`uncaught: ${describeError(error)}`, { cause: error })),
        stalled: (ms) => ctx.log.warn(`blocked the event loop for ${ms} ms`, { stallMs: ms }),
      };
      const work = runAs(owner, () =>
        Promise.resolve().then(() => attempt(spec, job.payload, ctx)),
      );
      work.catch(() => {}); // it may reject after the abort won the race
      // A program's attempt settles only once its process group is gone (within killTimeout of
      // the abort): waiting for it means no process outlives its job.
      const result = await (spec.command ? work : Promise.race([work, aborted]));
      outcome = { status: "completed", result: result === undefined ? null : result };
    } catch (thrown) {
      const reason = signal.aborted ? coerceError(signal.reason) : coerceError(thrown);
      outcome = outcomeOf(job, spec, reason);
    } finally {
      entry.settled = true;
      for (const t of timers) clock.clearTimeout(t);
      if (leaseTimer !== undefined) clock.clearTimeout(leaseTimer);
      await progress.flush();
      // The handler is done: its slot is free while the outcome is written, so the next claim
      // and this write go to the database together.
      entry.release();
    }
    if (outcome === undefined) return;
    const elapsed = clock.now() - startedAt;
    const stats = durations.get(job.type) ?? { count: 0, totalMs: 0, maxMs: 0 };
    stats.count++;
    stats.totalMs += elapsed;
    stats.maxMs = Math.max(stats.maxMs, elapsed);
    durations.set(job.type, stats);
    await finish(job, outcome);
  }

  function outcomeOf(job: JobRecord, spec: JobSpec, error: Error): JobOutcome | undefined {
    if (error instanceof JobLeaseLostError) {
      logger.warn({ job: job.id, type: job.type }, "jobs: lost the lease of a running job");
      return undefined;
    }
    if (error instanceof JobServiceStoppingError) return { status: "released" };
    if (error instanceof JobCancelledError) return { status: "cancelled", error: error.message };
    const final = job.attempts >= job.maxAttempts || DoNotRestart.is(error);
    const retryAt = final ? null : clock.now() + retryDelay(spec.backoff, job.attempts);
    return { status: "failed", error: describeError(error), retryAt };
  }

  /** An attempt's outcome waiting to be written. */
  interface Finishing {
    job: JobRecord;
    outcome: JobOutcome;
    /** Writes tried so far. */
    tries: number;
    written: () => void;
  }
  const finishing: Finishing[] = [];
  let flushing = false;

  /**
   * Writes how an attempt ended; resolves once written (or given up). Outcomes that arrive while
   * a write is in flight go together in the next one: one statement for all of them.
   */
  function finish(job: JobRecord, outcome: JobOutcome): Promise<void> {
    return new Promise<void>((written) => {
      finishing.push({ job, outcome, tries: 0, written });
      void flushFinishes();
    });
  }

  /** Writes queued outcomes until none is left; a failed write is tried 3 times per outcome. */
  async function flushFinishes(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      while (finishing.length > 0) {
        const batch = finishing.splice(0);
        let records: (JobRecord | null)[];
        try {
          records = await store.finishJobs(
            node.id,
            batch.map((f) => ({ id: f.job.id, outcome: f.outcome })),
            clock.now(),
          );
        } catch (thrown) {
          for (const f of batch) {
            f.tries++;
            if (f.tries >= 3) {
              logger.error(
                { err: coerceError(thrown), job: f.job.id },
                "jobs: could not record how a job ended; its lease will expire and it will be reclaimed",
              );
              f.written();
              continue;
            }
            clock.setTimeout(() => {
              finishing.push(f);
              void flushFinishes();
            }, 200 * f.tries);
          }
          continue;
        }
        batch.forEach((f, i) => {
          const record = records[i];
          if (record) {
            options.emit("status", update(record));
            const level = record.status === "failed" ? "warn" : "debug";
            logger[level](
              { job: f.job.id, type: f.job.type, attempt: f.job.attempts, status: record.status },
              `jobs: ${f.job.type} ${f.job.id} attempt ${f.job.attempts} → ${record.status}`,
            );
          }
          f.written();
        });
      }
    } finally {
      flushing = false;
    }
  }

  async function cancelReason(id: string): Promise<Error> {
    const job = await store.getJob(id).catch(() => null);
    return new JobCancelledError(job?.error ?? "cancelled");
  }

  /** Progress: emitted at once, written at most every `progressThrottleMs` (the last one always). */
  function createProgress(entry: Running) {
    let last = { percent: entry.job.progress, message: entry.job.progressMessage };
    let writtenAt = Number.NEGATIVE_INFINITY;
    let timer: TimerHandle | undefined;
    let pending = false;
    let writing: Promise<void> = Promise.resolve();
    const write = () => {
      timer = undefined;
      pending = false;
      writtenAt = clock.now();
      const { percent, message } = last;
      writing = writing.then(() =>
        store
          .setJobProgress(entry.job.id, node.id, percent, message, clock.now())
          .then(() => {})
          .catch((thrown) =>
            logger.debug({ err: coerceError(thrown) }, "jobs: a progress write failed"),
          ),
      );
    };
    return {
      report(percent: number, message?: string) {
        if (!Number.isFinite(percent)) return;
        const p = Math.round(Math.min(100, Math.max(0, percent)));
        last = { percent: p, message: message ?? null };
        entry.job.progress = p;
        entry.job.progressMessage = last.message;
        options.emit("progress", update(entry.job));
        const wait = writtenAt + options.progressThrottleMs - clock.now();
        if (wait <= 0) write();
        else if (!pending) {
          pending = true;
          timer = clock.setTimeout(write, wait);
        }
      },
      async flush() {
        if (timer !== undefined) {
          clock.clearTimeout(timer);
          write();
        }
        await writing;
      },
    };
  }

  function jobLogger(job: JobRecord): DaemonLogger {
    const child = logger.child({ job: job.type, jobId: job.id, attempt: job.attempts });
    const log = {} as DaemonLogger;
    for (const level of ["debug", "info", "warn", "error"] as LogLevel[]) {
      log[level] = (message, fields) => {
        try {
          child[level](fields ?? {}, message);
          store.writes.log({
            time: clock.now(),
            daemon: `job:${job.type}`,
            level,
            message: String(message),
            fields: { ...(fields ?? {}), jobId: job.id, attempt: job.attempts },
            node: node.id,
          });
        } catch {
          // logging never breaks a job
        }
      };
    }
    return log;
  }

  return {
    tick,
    /** Aborts a job running here (a cancel from this process); false if it does not run here. */
    abort(id: string, reason: Error): boolean {
      const entry = running.get(id);
      if (!entry) return false;
      entry.controller.abort(reason);
      return true;
    },
    /**
     * Looks up the jobs still running here in one query and aborts those whose cancel was asked
     * (or whose lease another worker holds now): how a cancel from another process is seen before
     * the next lease renewal. Attempts whose handler already settled are left alone.
     */
    async checkCancels(): Promise<void> {
      const live = (entry: Running | undefined): entry is Running =>
        entry !== undefined && !entry.settled && !entry.controller.signal.aborted;
      const ids = [...running.values()].filter(live).map((entry) => entry.job.id);
      if (ids.length === 0) return;
      let jobs: JobRecord[];
      try {
        jobs = await store.listJobs({ ids, limit: ids.length });
      } catch {
        return; // the renewal timer sees the cancel
      }
      for (const job of jobs) {
        const entry = running.get(job.id);
        if (!live(entry)) continue;
        if (job.status !== "running" || job.lockedBy !== node.id)
          entry.controller.abort(new JobLeaseLostError("the lease was lost"));
        else if (job.cancelRequested)
          entry.controller.abort(new JobCancelledError(job.error ?? "cancelled"));
      }
    },
    runningCount: () => running.size,
    durations: (): Record<string, DurationStats> => Object.fromEntries(durations),
    /**
     * Stops claiming, waits up to `timeoutMs` for running jobs, then aborts the rest, which go
     * back to `pending` without counting the attempt.
     */
    async stop(timeoutMs: number): Promise<void> {
      stopping = true;
      const all = () => Promise.all([...running.values()].map((r) => r.done));
      let timer: TimerHandle | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = clock.setTimeout(() => resolve(true), timeoutMs);
      });
      const late = await Promise.race([all().then(() => false), timedOut]);
      if (timer !== undefined) clock.clearTimeout(timer);
      if (late) {
        for (const entry of running.values())
          entry.controller.abort(new JobServiceStoppingError("the job service is stopping"));
        await all();
      }
    },
  };

  function update(job: JobRecord): JobUpdate {
    return {
      id: job.id,
      type: job.type,
      status: job.status,
      progress: job.progress,
      message: job.progressMessage ?? undefined,
      attempt: job.attempts,
      error: job.error ?? undefined,
      at: clock.now(),
    };
  }
}

export type Worker = ReturnType<typeof createWorker>;
