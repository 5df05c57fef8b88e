import type { Logger } from "pino";
import type { Clock } from "../internal/clock.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import type {
  DaemonJobs,
  JobFilter,
  JobRecord,
  JobSpec,
  JobStatus,
  JobWithActions,
  NodeInfo,
} from "../registry/types.js";
import type { Store } from "../store/types.js";
import type { DurationStats } from "./worker.js";

/** A job's status or progress changed: what the live stream (`/api/stream`) shows. */
export type JobUpdate = {
  id: string;
  type: string;
  status: JobStatus;
  /** 0..100 */
  progress: number;
  message?: string | undefined;
  /** The attempt (1, 2, …) this update belongs to; 0 before the first. */
  attempt: number;
  error?: string | undefined;
  at: number;
};

export interface JobServiceOptions {
  /** Open. The service never closes it. */
  store: Store;
  clock: Clock;
  /** The job handlers this manager runs (the config's `jobs`). Launching needs the type here. */
  jobs: readonly JobSpec[];
  node: NodeInfo;
  logger: Logger;
  /** ms; default 10 s. A worker that stops renewing for this long has died. */
  leaseMs?: number;
  /** ms between looks for due jobs and expired leases; default 1 s. */
  pollMs?: number;
  /** ms finished jobs are kept; default 7 days. */
  retentionMs?: number;
  /** ms between sweeps of finished jobs; default 1 min. */
  sweepIntervalMs?: number;
  /** ms between progress writes of one job; default 250. */
  progressThrottleMs?: number;
  /** Run jobs here (default true). False: launch/monitor/cancel only, other nodes run them. */
  work?: boolean;
  /** How command jobs start their programs (the manager's, with its orphan reaper). */
  programs?: CommandHost;
}

/** {@link JobFilter} with statuses as plain strings, checked at run time. */
export type JobListFilter = Omit<JobFilter, "status"> & { status?: string | readonly string[] };

export interface JobStats {
  /** Jobs in the store by status (all types). */
  byStatus: Record<JobStatus, number>;
  /** Jobs in the store by type, then status. */
  byType: Record<string, Partial<Record<JobStatus, number>>>;
  /** Attempts finished in this process, by type. */
  durations: Record<string, DurationStats>;
  /** Attempts running in this process. */
  running: number;
}

/**
 * The job service of one manager (DESIGN.md §7): workers that claim and run jobs under leases,
 * and the API daemons (`forDaemon`) and the HTTP server (`list`/`get`/`cancel`/`on`/`stats`) use.
 *
 * Contract: `start()` once, after the store is open; `stop()` before the store closes. Launching,
 * listing and cancelling work before `start()` (nothing runs them until it is called).
 */
export interface JobService {
  /** The `ctx.jobs` of daemon `name`: its launches, monitors and cancels are recorded under it. */
  forDaemon(name: string): DaemonJobs;
  /** Starts claiming jobs, reclaiming expired leases and sweeping old jobs. Idempotent. */
  start(): Promise<void>;
  /**
   * Stops claiming; waits up to `timeoutMs` for running jobs, then aborts them (they go back to
   * `pending`, the attempt not counted). Pending `monitor` calls reject. Idempotent.
   */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * Newest first. `daemon` filters on the launching daemon. Statuses are accepted as strings (as
   * they come from a query string); an unknown one is a TypeError naming the known ones.
   */
  list(filter?: JobListFilter): Promise<JobRecord[]>;
  /** The job with its recorded actions, or undefined when unknown. */
  get(id: string): Promise<JobWithActions | undefined>;
  /**
   * Cancels a pending or running job and records a `cancelled` action by `by` (default `"api"`).
   * Undefined when unknown; a job already finished throws a `StateConflictError`.
   */
  cancel(id: string, reason: string, by?: string): Promise<JobRecord | undefined>;
  /** Every status and progress change of jobs this process sees. Returns the unsubscribe. */
  on(listener: (update: JobUpdate) => void): () => void;
  on(kind: "status" | "progress", listener: (update: JobUpdate) => void): () => void;
  /** Counts for `/metrics`: synchronous, at most `statsMaxAgeMs` old (a read starts in the background). */
  stats(): JobStats;
  /** Removes finished jobs older than the retention now; resolves with how many. */
  sweep(): Promise<number>;
  /** Moves jobs whose lease expired back to `pending` (or `failed`) now; resolves with them. */
  reclaim(): Promise<JobRecord[]>;
}
