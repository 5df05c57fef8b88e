/**
 * The worker of one manager: claims due jobs of the types it handles, at most `concurrency`
 * handlers of a type at once, runs each attempt (attempt.ts) and hands its outcome to the batched
 * writer (finishes.ts). A handler's slot frees when it settles, so the outcomes being written and
 * the next claim overlap. A job whose lease this worker lost is left to whoever holds it now.
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobRecord, JobSpec, NodeInfo } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { type Attempt, type AttemptOptions, runAttempt } from "./attempt.js";
import { JobCancelledError, JobLeaseLostError, JobServiceStoppingError } from "./errors.js";
import { createFinishes } from "./finishes.js";
import { toUpdate } from "./statuses.js";
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
}

/** One attempt in flight, with its slot. */
interface Running extends Attempt {
  done: Promise<void>;
  /** Frees the attempt's concurrency slot (once) and looks for more work. */
  release: () => void;
}

export interface DurationStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export function createWorker(options: WorkerOptions) {
  const { store, clock, specs, node, logger, leaseMs } = options;
  const running = new Map<string, Running>();
  const active = new Map<string, number>();
  const durations = new Map<string, DurationStats>();
  let ticking = false;
  let again = false;
  let stopping = false;
  const emitStatus = (job: JobRecord) => options.emit("status", toUpdate(job, clock.now()));
  const finishes = createFinishes({
    store,
    clock,
    logger,
    worker: node.id,
    finished: emitStatus,
  });
  const attemptOptions: AttemptOptions = {
    store,
    clock,
    logger,
    worker: node.id,
    leaseMs,
    progressThrottleMs: options.progressThrottleMs,
    progress: (job) => options.emit("progress", toUpdate(job, clock.now())),
  };

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
    let released = false;
    const entry: Running = {
      job,
      spec,
      controller: new AbortController(),
      settled: false,
      done: Promise.resolve(),
      release: () => {
        if (released) return;
        released = true;
        active.set(job.type, (active.get(job.type) ?? 1) - 1);
        void tick();
      },
    };
    running.set(job.id, entry);
    emitStatus(job);
    entry.done = run(entry).finally(() => {
      running.delete(job.id);
      entry.release();
    });
  }

  async function run(entry: Running): Promise<void> {
    const { job } = entry;
    const startedAt = clock.now();
    const outcome = await runAttempt(entry, attemptOptions);
    // The handler is done: its slot is free while the outcome is written, so the next claim and
    // this write go to the database together.
    entry.release();
    if (outcome === undefined) return;
    const elapsed = clock.now() - startedAt;
    const stats = durations.get(job.type) ?? { count: 0, totalMs: 0, maxMs: 0 };
    stats.count++;
    stats.totalMs += elapsed;
    stats.maxMs = Math.max(stats.maxMs, elapsed);
    durations.set(job.type, stats);
    await finishes.finish(job, outcome);
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
}

export type Worker = ReturnType<typeof createWorker>;
