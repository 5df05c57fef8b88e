/**
 * The worker of one manager: claims due jobs of the types it handles into a local queue
 * (local-queue.ts), starts them as slots free (at most `concurrency` handlers of a type at once),
 * runs each attempt (attempt.ts) and writes the outcomes in batches (finishes.ts). Claims and
 * outcome writes go through one pump (pump.ts), up to two round trips at a time (one of them
 * claiming): each carries the outcomes that ended since the last and, where it can, the next claim
 * (`Store.finishAndClaimJobs`). Types whose jobs are short claim further ahead. A job whose lease this
 * worker lost is left to whoever holds it now.
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { LazyAbort } from "../internal/lazy-abort.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import type { JobRecord, JobSpec, NodeInfo } from "../registry/types.js";
import type { Store } from "../store/types.js";
import { type Attempt, type AttemptOptions, runAttempt } from "./attempt.js";
import { checkCancels } from "./cancels.js";
import { JOB_SERVICE_DEFAULTS } from "./defaults.js";
import { JobServiceStoppingError } from "./errors.js";
import { createFinishes } from "./finishes.js";
import { createLocalQueue } from "./local-queue.js";
import { createPump } from "./pump.js";
import { createQueuedLeases } from "./queued-leases.js";
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
  /** How command jobs start their programs; without it a command job's attempt fails. */
  programs?: CommandHost | undefined;
}

/** One attempt in flight, with its slot. */
interface Running extends Attempt {
  done: Promise<void>;
}

export interface DurationStats {
  count: number;
  totalMs: number;
  maxMs: number;
}

export function createWorker(options: WorkerOptions) {
  const { store, clock, specs, node, logger, leaseMs } = options;
  const running = new Map<string, Running>();
  const durations = new Map<string, DurationStats>();
  const queue = createLocalQueue(specs, (spec) => prefetchFor(spec, durations.get(spec.type)));
  let stopping = false;
  const emitStatus = (job: JobRecord) => options.emit("status", toUpdate(job, clock.now()));
  const finishes = createFinishes({
    clock,
    logger,
    finished: emitStatus,
    ready: () => pumper.soon(),
    // Not once stopping: a stop during an outage gives its outcomes up (their leases expire).
    unreachable: () => !stopping && (store.writes.unreachable || store.health().degraded),
  });
  const attemptOptions: AttemptOptions = {
    store,
    clock,
    logger,
    worker: node.id,
    leaseMs,
    progressThrottleMs: options.progressThrottleMs,
    progress: (job) => options.emit("progress", toUpdate(job, clock.now())),
    programs: options.programs,
  };

  const pumper = createPump({
    store,
    clock,
    logger,
    worker: node.id,
    leaseMs,
    queue,
    finishes,
    startQueued,
    stopping: () => stopping,
  });

  function startQueued(): void {
    if (stopping) return;
    for (let job = queue.next(); job; job = queue.next()) start(job);
    if (queue.any()) leases.arm();
  }

  function start(job: JobRecord): void {
    // `done` is set at once below: run() needs the entry, and a placeholder promise would be
    // one more promise per job (each costs an async-hooks init while owners are tracked).
    const entry = {
      job,
      spec: specs.get(job.type) as JobSpec,
      controller: new LazyAbort(),
      settled: false,
      done: undefined,
    } as unknown as Running;
    running.set(job.id, entry);
    emitStatus(job);
    entry.done = run(entry);
  }

  async function run(entry: Running): Promise<void> {
    const { job } = entry;
    const startedAt = clock.now();
    const outcome = await runAttempt(entry, attemptOptions);
    running.delete(job.id);
    // The handler is done: its slot takes the next queued job while the outcome is written.
    queue.release(job.type);
    startQueued();
    if (outcome === undefined) {
      pumper.soon();
      return;
    }
    recordDuration(durations, job.type, clock.now() - startedAt);
    await finishes.add(job, outcome);
  }

  /** Ends a queued (never started) job's attempt `cancelled`. */
  const cancelQueued = (job: JobRecord, reason: string) =>
    void finishes.add(job, { status: "cancelled", error: reason });
  const leases = createQueuedLeases({
    store,
    clock,
    logger,
    worker: node.id,
    leaseMs,
    queue,
    cancel: cancelQueued,
  });

  return {
    /** There may be due jobs: claims what the queue wants. Resolves when the pump is idle. */
    tick(): Promise<void> {
      queue.wake();
      return pumper.pump();
    },
    /**
     * Aborts a job running or queued here (a cancel from this process); false if it is neither.
     * A queued job ends `cancelled` without starting; a failed attempt whose outcome is still
     * waiting to be written ends `cancelled` instead.
     */
    abort(id: string, reason: Error): boolean {
      const entry = running.get(id);
      if (entry) {
        entry.controller.abort(reason);
        return true;
      }
      const job = queue.remove(id);
      if (!job) return finishes.cancelWaiting(id, reason.message);
      cancelQueued(job, reason.message);
      return true;
    },
    /** A cancel was asked from another process: see cancels.ts. */
    checkCancels: () => checkCancels({ store, worker: node.id, running, queue, cancelQueued }),
    runningCount: () => running.size,
    durations: (): Record<string, DurationStats> => Object.fromEntries(durations),
    /**
     * Stops claiming, waits up to `timeoutMs` for running jobs, then aborts the rest; they and
     * the queued jobs go back to `pending` without counting the attempt.
     */
    async stop(timeoutMs: number): Promise<void> {
      stopping = true;
      leases.stop();
      // Queued jobs never started: back to pending at once (after a claim in flight landed).
      await pumper.idle();
      const released = queue.drain().map((job) => finishes.add(job, { status: "released" }));
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
      await Promise.all(released);
      await pumper.idle();
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;

/**
 * How many jobs of a type the local queue may hold ahead: short ones (by their mean here so far)
 * get the larger prefetch, see JOB_SERVICE_DEFAULTS.
 */
function prefetchFor(spec: JobSpec, stats: DurationStats | undefined): number {
  const d = JOB_SERVICE_DEFAULTS;
  const short =
    stats !== undefined &&
    stats.count >= spec.concurrency &&
    stats.totalMs < stats.count * d.shortJobMs;
  return spec.concurrency * (short ? d.prefetchPerSlotShort : d.prefetchPerSlot);
}

function recordDuration(durations: Map<string, DurationStats>, type: string, ms: number): void {
  const stats = durations.get(type) ?? { count: 0, totalMs: 0, maxMs: 0 };
  stats.count++;
  stats.totalMs += ms;
  stats.maxMs = Math.max(stats.maxMs, ms);
  durations.set(type, stats);
}
