/**
 * The job vocabulary (DESIGN.md §7): job records and actions as stored, the filters and options
 * of launching, `ctx.jobs` as a daemon sees it, and the job handler spec with its context.
 */
import type { ZodType } from "zod";
import type { DaemonLogger } from "./context-types.js";
import type { IsolationSettings } from "./isolation-options.js";

/** Where a job is: `pending → running → completed | failed | cancelled` (DESIGN.md §7). */
export type JobStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

/** What a daemon did to a job: the seeds' LAUNCHED / MONITORED / CANCELLED. */
export type JobActionKind = "launched" | "monitored" | "cancelled";

/** One recorded job action. Times are ms since the epoch. */
export type JobActionRecord = {
  id: number;
  jobId: string;
  /** The daemon that acted (or `"api"` for the HTTP API). */
  daemon: string;
  action: JobActionKind;
  reason: string | null;
  at: number;
  node: string | null;
};

/** A job as stored and shown. Times are ms since the epoch; `payload`/`result` are JSON values. */
export type JobRecord = {
  id: string;
  type: string;
  status: JobStatus;
  payload: unknown;
  /** The handler's return value, once completed. */
  result: unknown;
  /** The last attempt's error (also kept when a retry later succeeds), or the cancel reason. */
  error: string | null;
  /** Higher runs first. */
  priority: number;
  /** Attempts started so far (a claim counts one). */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this time. */
  runAt: number;
  dedupKey: string | null;
  /** 0..100 */
  progress: number;
  progressMessage: string | null;
  /** The daemon that launched it. */
  launchedBy: string | null;
  reason: string | null;
  /** The worker (node id) holding it while running. */
  lockedBy: string | null;
  leaseExpiresAt: number | null;
  /** A cancel was asked while it ran; its worker aborts it and it ends `cancelled`. */
  cancelRequested: boolean;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
};

/** A job with its recorded actions, oldest first. */
export type JobWithActions = JobRecord & { actions: JobActionRecord[] };

export interface JobFilter {
  status?: JobStatus | readonly JobStatus[];
  type?: string | readonly string[];
  /** Launched by this daemon. */
  daemon?: string;
  /** Default 100. */
  limit?: number;
}

export interface LaunchOptions {
  /** Why: recorded with the `launched` action. */
  reason: string;
  /** Not before this time (ms since the epoch or a Date). Default: now. */
  runAt?: number | Date;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** While a pending or running job has this key, launching another returns that job's id. */
  dedupKey?: string;
  /** Overrides the job type's `maxAttempts`. */
  maxAttempts?: number;
}

export interface MonitorOptions {
  /** Stops waiting (rejects) when it aborts; pass the daemon's `ctx.signal`. */
  signal?: AbortSignal;
}

/** Launching and tracking jobs from a daemon (DESIGN.md §7); every launch, monitor and cancel is recorded. */
export interface DaemonJobs {
  /**
   * Validates `payload` with the job type's schema (rejecting with the zod message), stores a
   * pending job and records a `launched` action. Resolves with the job's id (the live job's id when
   * `dedupKey` matches one). While the store is unreachable it still resolves with a new id: the
   * job waits in the outage buffer and is written (and run) once the store is back; a `dedupKey`
   * then live in the store launches nothing, so that id stays unknown (DESIGN.md §6).
   */
  launch(type: string, payload: unknown, options: LaunchOptions): Promise<string>;
  /**
   * {@link DaemonJobs.launch} for many payloads of one type in one write (PostgreSQL: one
   * statement; SQLite: one transaction), each job with its `launched` action. Every payload is
   * checked first: one refused launches none. Resolves with the ids in the order of `payloads`.
   */
  launchMany(
    type: string,
    payloads: readonly unknown[],
    options: Omit<LaunchOptions, "dedupKey">,
  ): Promise<string[]>;
  /** Resolves with the job once it is completed, failed or cancelled; records `monitored` then. */
  monitor(id: string, options?: MonitorOptions): Promise<JobRecord>;
  /**
   * Cancels the job: a pending one at once, a running one by aborting its signal (it then ends
   * `cancelled`). Records `cancelled`. A job already finished is left as it is.
   */
  cancel(id: string, reason: string): Promise<JobRecord | undefined>;
  get(id: string): Promise<JobWithActions | undefined>;
  list(filter?: JobFilter): Promise<JobRecord[]>;
}

/** A job handler (DESIGN.md §7). */
export interface JobSpec<P = any> extends IsolationSettings {
  readonly kind: "job";
  readonly type: string;
  readonly payload: ZodType<P> | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  /** ms per attempt, or undefined for none */
  readonly timeout: number | undefined;
  readonly backoff: { initialDelay: number; factor: number; maxDelay: number };
  /**
   * The handler. For a command job (`command` set) the manager runs the program instead, and
   * this only says so when called without one.
   */
  run(payload: P, ctx: JobContext): unknown | Promise<unknown>;
  /** A job that runs a program per attempt (DESIGN.md §7, §11); undefined for a job of code. */
  readonly command: JobCommand<P> | undefined;
}

/**
 * A command job, normalized: each attempt runs `argv(payload)` with the payload as JSON on stdin;
 * stdout lines `::progress N` set progress, other lines are the job's log; exit code 0 completes
 * it; cancel and timeout are SIGTERM, then SIGKILL of its process group after `killTimeout` (ms).
 */
export interface JobCommand<P = unknown> {
  argv(payload: P): readonly string[];
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly killTimeout: number;
  /** bytes, or undefined for no limit */
  readonly maxMemory: number | undefined;
}

export interface JobContext {
  readonly id: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly log: DaemonLogger;
  progress(percent: number, message?: string): void;
}
