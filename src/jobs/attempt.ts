/**
 * One attempt of a job, from the handler's call to its outcome: the handler gets `ctx` (signal,
 * log, progress), races its abort signal (cancel, timeout, lost lease, shutdown), and the lease is
 * renewed every `leaseMs / 3` while it runs. The outcome says what to write: completed, failed
 * (with the retry time, or null when no attempt is left or the handler threw `DoNotRestart`),
 * cancelled, released (a shutdown: the attempt is not counted), or nothing (the lease was lost:
 * whoever holds the job now decides).
 */
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import type { LazyAbort } from "../internal/lazy-abort.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import { DoNotRestart } from "../registry/errors.js";
import type { DaemonLogger, JobContext, JobRecord, JobSpec } from "../registry/types.js";
import type { JobOutcome, Store } from "../store/types.js";
import { type Owner, runAs } from "../supervisor/async-context.js";
import { retryDelay } from "./backoff.js";
import {
  JobCancelledError,
  JobLeaseLostError,
  JobServiceStoppingError,
  JobTimeoutError,
} from "./errors.js";
import { runJobHandler } from "./handler.js";
import { jobLogger } from "./job-logger.js";
import { createProgress } from "./progress.js";

/** One attempt in flight. */
export interface Attempt {
  job: JobRecord;
  spec: JobSpec;
  /** Its abort (the signal is made when read). */
  controller: LazyAbort;
  /** The handler returned or threw (or was aborted): only its outcome is left to write. */
  settled: boolean;
}

export interface AttemptOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The node id: who holds the lease. */
  worker: string;
  leaseMs: number;
  progressThrottleMs: number;
  /** The job's progress changed. */
  progress(job: JobRecord): void;
  /** How command jobs start their programs; without it a command job's attempt fails. */
  programs?: CommandHost | undefined;
}

/** Runs the attempt's handler to its end; resolves with the outcome to write. Never rejects. */
export async function runAttempt(
  attempt: Attempt,
  options: AttemptOptions,
): Promise<JobOutcome | undefined> {
  const { job, spec, controller } = attempt;
  const { clock } = options;
  const timeout =
    spec.timeout === undefined
      ? undefined
      : clock.setTimeout(
          () => controller.abort(new JobTimeoutError(`timed out after ${spec.timeout} ms`)),
          spec.timeout,
        );
  const lease = new LeaseRenewal(attempt, options);
  // The logger and the progress reporter are made on first use: most attempts use neither.
  // Methods rather than arrow functions, here and in `owner`: an attempt makes no function that
  // a transpiler keeping names (esbuild's keepNames, as tsx runs the source) renames at run time.
  let log: DaemonLogger | undefined;
  let progress: ReturnType<typeof createProgress> | undefined;
  const ctx: JobContext = {
    id: job.id,
    attempt: job.attempts,
    get signal() {
      return controller.signal;
    },
    get log() {
      log ??= jobLogger(job, options.logger, options.store, clock, options.worker);
      return log;
    },
    progress(percent, message) {
      progress ??= createProgress(job, {
        store: options.store,
        clock,
        logger: options.logger,
        worker: options.worker,
        throttleMs: options.progressThrottleMs,
        emit: options.progress,
      });
      progress.report(percent, message);
    },
  };

  try {
    // The attempt's own context: an error that escapes it (a stray timer, a forgotten
    // promise) fails this attempt, not the process (DESIGN.md §7, §11).
    const owner = new AttemptOwner(job, controller, ctx);
    // The handler's synchronous part, a microtask from now; what it returned, unwrapped.
    const returned = await runAs(owner, callSoon, spec, job.payload, ctx, options);
    let result: unknown;
    const work = returned.pending;
    if (work !== undefined) {
      work.catch(() => {}); // it may reject after the abort won the race
      // Still running: its lease is renewed once it is still running at the next turn of the
      // event loop (an attempt that ends within its first microtasks never arms a timer).
      armSoon(lease);
      // A program's attempt settles only once its process group is gone (within killTimeout
      // of the abort): waiting for it means no process outlives its job.
      result = await (spec.command ? work : Promise.race([work, abortedOf(controller)]));
    } else result = returned.value;
    // An abort that came before the handler's result was taken wins (a handler that resolves
    // on the abort, in the same turn, is aborted, not completed).
    if (!spec.command && controller.aborted) throw controller.reason;
    return { status: "completed", result: result === undefined ? null : result };
  } catch (thrown) {
    const reason = controller.aborted ? coerceError(controller.reason) : coerceError(thrown);
    return outcomeOf(job, spec, reason, options);
  } finally {
    attempt.settled = true;
    if (timeout !== undefined) clock.clearTimeout(timeout);
    lease.stop();
    if (progress) await progress.flush();
  }
}

/** The owner of an attempt's code (async-context.ts): what escapes it aborts the attempt. */
class AttemptOwner implements Owner {
  readonly kind = "job";
  constructor(
    private readonly job: JobRecord,
    private readonly controller: LazyAbort,
    private readonly ctx: JobContext,
  ) {}

  get label(): string {
    return `job ${this.job.type} ${this.job.id}`;
  }

  escaped(error: Error): void {
    this.controller.abort(new Error(`uncaught: ${describeError(error)}`, { cause: error }));
  }

  stalled(ms: number): void {
    this.ctx.log.warn(`blocked the event loop for ${ms} ms`, { stallMs: ms });
  }
}

/**
 * Calls the handler a microtask from now (as the attempt's owner, from `runAs`); resolves with
 * what it returned, a promise it returned still pending, or rejects with what it threw.
 */
function callSoon(
  spec: JobSpec,
  payload: unknown,
  ctx: JobContext,
  options: AttemptOptions,
): Promise<{ value?: unknown; pending?: Promise<unknown> }> {
  return Promise.resolve(new HandlerCall(spec, payload, ctx, options)).then(call);
}

/** What {@link callSoon} calls: a record rather than a closure per attempt. */
class HandlerCall {
  constructor(
    readonly spec: JobSpec,
    readonly payload: unknown,
    readonly ctx: JobContext,
    readonly options: AttemptOptions,
  ) {}
}

function call({ spec, payload, ctx, options }: HandlerCall) {
  const value = runJobHandler(spec, payload, ctx, options.clock, options.programs);
  return isThenable(value) ? { pending: Promise.resolve(value) } : { value };
}

/**
 * Renews the attempt's lease every `leaseMs / 3` from `arm()` until `stop()`; aborts when lost or
 * cancelled. Armed once the handler's synchronous part returned a promise (the claim started the
 * lease: an attempt that ends at once never needs a renewal, nor a timer, nor its closures).
 */
class LeaseRenewal {
  private readonly startedAt: number;
  private renewal: { arm(wait: number): void; stop(): void } | undefined = undefined;
  private stopped = false;

  constructor(
    private readonly attempt: Attempt,
    private readonly options: AttemptOptions,
  ) {
    this.startedAt = options.clock.now();
  }

  /** Starts renewing, the first renewal `leaseMs / 3` after the attempt started (idempotent). */
  arm(): void {
    if (this.stopped || this.renewal) return;
    const { options } = this;
    this.renewal = renewals(this.attempt, options);
    this.renewal.arm(Math.max(0, this.startedAt + options.leaseMs / 3 - options.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    this.renewal?.stop();
  }
}

/** The renewal timer of an armed attempt: `arm(wait)` once, then every `leaseMs / 3`. */
function renewals(
  { job, controller }: Attempt,
  { store, clock, logger, worker, leaseMs }: AttemptOptions,
) {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const renew = async () => {
    timer = undefined;
    if (controller.aborted || stopped) return;
    try {
      const lease = await store.renewJobLease(job.id, worker, leaseMs, clock.now());
      if (!lease.held)
        controller.abort(new JobLeaseLostError("the job's lease expired and was reclaimed"));
      else if (lease.cancelRequested) {
        const current = await store.getJob(job.id).catch(() => null);
        controller.abort(new JobCancelledError(current?.error ?? "cancelled"));
      }
    } catch (thrown) {
      logger.warn({ err: coerceError(thrown), job: job.id }, "jobs: renewing a lease failed");
    }
    if (!controller.aborted && !stopped) timer = clock.setTimeout(() => void renew(), leaseMs / 3);
  };
  return {
    arm(wait: number) {
      timer = clock.setTimeout(() => void renew(), wait);
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Leases to arm at the next turn of the event loop, all with one immediate. */
const toArm: { arm(): void }[] = [];
function armSoon(lease: { arm(): void }): void {
  toArm.push(lease);
  if (toArm.length === 1)
    setImmediate(() => {
      for (const waiting of toArm.splice(0)) waiting.arm();
    });
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  (typeof value === "object" || typeof value === "function") &&
  typeof (value as { then?: unknown }).then === "function";

/** Rejects with the abort's reason once the attempt is aborted (at once if it was). */
function abortedOf(controller: LazyAbort): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(controller.reason);
    if (controller.aborted) fail();
    else controller.onAbort(fail);
  });
  aborted.catch(() => {});
  return aborted;
}

function outcomeOf(
  job: JobRecord,
  spec: JobSpec,
  error: Error,
  { clock, logger }: AttemptOptions,
): JobOutcome | undefined {
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
