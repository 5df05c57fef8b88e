/**
 * The `Store` interface, the store's contract (DESIGN.md §6), with the job methods and wake-up
 * channels. Its other parts live in `types-<concern>.ts`; every name is re-exported from here.
 */
import type { JobActionKind, JobActionRecord, JobRecord, JobStatus } from "../registry/types.js";
import type { ClusterStore } from "./cluster-types.js";
import type { DaemonSettingsMethods } from "./types-daemon-settings.js";
import type { DeadLetterMethods } from "./types-dead-letters.js";
import type { EventMethods } from "./types-events.js";
import type { LogMethods } from "./types-logs.js";
import type { NodeMethods } from "./types-nodes.js";
import type { StoreHealth, StoreWrites } from "./types-writes.js";

export type {
  ClusterLeaseRow,
  ClusterNode,
  ClusterNodeInfo,
  ClusterNodeState,
  ClusterStore,
  HeldLeaseRef,
  LeaseFence,
} from "./cluster-types.js";
export type {
  DaemonSettings,
  DaemonSettingsMethods,
  DaemonSettingsPatch,
} from "./types-daemon-settings.js";
export type { DeadLetterMethods } from "./types-dead-letters.js";
export type { EventMethods, EventQuery, NewEvent } from "./types-events.js";
export {
  LOG_LEVEL_NUMBERS,
  type LogMethods,
  type LogQuery,
  type LogRetention,
  type LogRow,
  type StoredLog,
} from "./types-logs.js";
export type { DaemonHeartbeat, DaemonRecord, NodeMethods, NodeRecord } from "./types-nodes.js";
export type { NewJobLaunch, StoreHealth, StoreWrites } from "./types-writes.js";

export type StoreKind = "sqlite" | "postgres" | "memory";

/** A job to insert: it starts `pending`. */
export interface NewJob {
  id: string;
  type: string;
  payload: unknown;
  priority: number;
  maxAttempts: number;
  runAt: number;
  dedupKey: string | null;
  launchedBy: string | null;
  reason: string | null;
  now: number;
}

export interface JobQuery {
  status?: JobStatus | readonly JobStatus[];
  type?: string | readonly string[];
  /** Launched by this daemon. */
  launchedBy?: string;
  ids?: readonly string[];
  /** Default 100. */
  limit?: number;
  /** By creation time: `"desc"` (default) returns the newest first. */
  order?: "asc" | "desc";
}

export interface JobClaim {
  /** How many jobs of each type the worker can take now (its free concurrency slots). */
  slots: Readonly<Record<string, number>>;
  /** Who holds the claimed jobs (the node id). */
  worker: string;
  leaseMs: number;
  now: number;
}

/** How an attempt ended, for {@link Store.finishJob}. */
export type JobOutcome =
  | { status: "completed"; result: unknown }
  /** `retryAt` set: back to `pending` until then; null: `failed` for good. */
  | { status: "failed"; error: string; retryAt: number | null }
  | { status: "cancelled"; error: string | null }
  /** Back to `pending` at once with the attempt not counted (a worker shutting down). */
  | { status: "released" };

/**
 * One attempt to end, for {@link Store.finishJobs}. `held`: the job as the caller's claim returned
 * it, when it has it; a store may then read back only the columns an attempt can change and take
 * the others (id, type, payload, priority, maxAttempts, dedupKey, launchedBy, reason, createdAt:
 * never changed once a job is created) from it. The records returned are the same either way.
 */
export interface JobFinish {
  id: string;
  outcome: JobOutcome;
  held?: JobRecord;
}

export interface NewJobAction {
  jobId: string;
  daemon: string;
  action: JobActionKind;
  reason: string | null;
  at: number;
  node: string | null;
}

/**
 * Wake-up channels. `events` is notified by {@link Store.appendEvents}; `jobs` by
 * {@link Store.launchJob}, {@link Store.launchJobs} and {@link Store.finishJob}; `job_cancels` by the job service when it
 * asks a job running elsewhere to stop.
 */
export type StoreChannel = "events" | "jobs" | "job_cancels" | (string & {});

/**
 * Where state survives the process (DESIGN.md §6): a SQLite file, PostgreSQL, or memory, chosen
 * by URL in `createStore`. The contract every implementation keeps (one test suite checks all
 * three):
 *
 * - `open()` creates or upgrades the schema (Kysely's migrator) and must resolve before any other
 *   call; it refuses a database written by a newer ringmaster with a {@link StoreError} naming both
 *   schema versions. `close()` flushes the write buffers, stops timers and listeners, and is
 *   idempotent.
 * - Direct methods are async and reject when the database fails; {@link Store.writes} is the
 *   non-blocking, buffered path for logs, daemon records and heartbeats.
 * - Times are ms since the epoch, supplied by the caller (its injected clock).
 * - Events get a global `seq` assigned by the database, increasing in commit order, so a reader
 *   that has seen `seq` n never later finds a new event below n. An event whose `id` is already
 *   stored is not stored again; its existing seq is returned.
 * - Cursors only move forward. Lease fencing tokens only increase, per lease name, for as long as
 *   the database lives.
 * - `listen` wakes a callback when `notify` (or a write that notifies: `appendEvents`,
 *   `launchJob(s)`, `finishJob(s)`) is called on the same channel, in
 *   this process or another one sharing the database: PostgreSQL `LISTEN/NOTIFY`, SQLite polling
 *   (`pollIntervalMs`), memory in-process. A wake-up says "look again", nothing more: it may be
 *   spurious, and several notifications may arrive as one.
 *
 * It is declared in parts, one per concern, each in its own file: {@link NodeMethods} (nodes and
 * daemon records), {@link DaemonSettingsMethods}, {@link LogMethods}, {@link EventMethods} (events
 * and cursors), {@link DeadLetterMethods}; the job methods ({@link JobMethods}); `cluster`
 * ({@link ClusterStore}: membership, leases with fencing tokens, fenced cursors, DESIGN.md §8);
 * and, here, the lifecycle, health, buffered writes and wake-up channels.
 */
export interface Store
  extends NodeMethods,
    DaemonSettingsMethods,
    LogMethods,
    EventMethods,
    DeadLetterMethods {
  readonly kind: StoreKind;
  /** Membership, leases and fenced cursors of the nodes sharing this store (DESIGN.md §8). */
  readonly cluster: ClusterStore;
  /** The URL it was opened with, password redacted. */
  readonly url: string;
  open(): Promise<void>;
  close(): Promise<void>;
  health(): StoreHealth;
  readonly writes: StoreWrites;

  /**
   * Inserts a pending job. When `dedupKey` is set and a pending or running job has it, nothing is
   * inserted and that job is returned with `created: false`.
   */
  insertJob(job: NewJob): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * What a launch writes, atomically: {@link Store.insertJob}, and when the job was created, its
   * `action` (the job's id filled in) and a wake-up on `jobs`, in one transaction (PostgreSQL: one
   * statement). A dedup hit records and notifies nothing.
   */
  launchJob(
    job: NewJob,
    action: Omit<NewJobAction, "jobId">,
  ): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * {@link Store.launchJob} for several jobs in one transaction (PostgreSQL: one statement for
   * those without a dedup conflict, whatever their number), with one wake-up: the results in the
   * order of `launches`.
   */
  launchJobs(
    launches: readonly { job: NewJob; action: Omit<NewJobAction, "jobId"> }[],
  ): Promise<{ job: JobRecord; created: boolean }[]>;
  getJob(id: string): Promise<JobRecord | null>;
  listJobs(query?: JobQuery): Promise<JobRecord[]>;
  /** Jobs by type and status: `{ [type]: { [status]: count } }`. */
  countJobs(): Promise<Record<string, Partial<Record<JobStatus, number>>>>;
  /**
   * Atomically moves due pending jobs (`runAt <= now`) of the types in `slots`, at most that many
   * per type, highest priority then earliest `runAt` first, to `running` for `worker` until
   * `now + leaseMs`, counting an attempt. No job is claimed twice, across processes too
   * (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one `UPDATE … RETURNING`).
   */
  claimJobs(claim: JobClaim): Promise<JobRecord[]>;
  /**
   * Extends the lease of a job `worker` still holds. `held: false` when it lost it (the lease
   * expired and the job was reclaimed); `cancelRequested` tells the worker to abort it.
   */
  renewJobLease(
    id: string,
    worker: string,
    leaseMs: number,
    now: number,
  ): Promise<{ held: boolean; cancelRequested: boolean }>;
  /** Records progress (0..100) of a job `worker` holds; false if it does not hold it. */
  setJobProgress(
    id: string,
    worker: string,
    progress: number,
    message: string | null,
    now: number,
  ): Promise<boolean>;
  /**
   * Ends the attempt of a running job `worker` holds; null if it does not hold it (any more). When
   * it ended one, the same transaction notifies `jobs` (workers may claim, monitors look again).
   */
  finishJob(
    id: string,
    worker: string,
    outcome: JobOutcome,
    now: number,
  ): Promise<JobRecord | null>;
  /**
   * {@link Store.finishJob} for several attempts of `worker` at once, in one statement (one
   * transaction): the results in the order of `finishes`, null for a job it does not hold.
   */
  finishJobs(
    worker: string,
    finishes: readonly JobFinish[],
    now: number,
  ): Promise<(JobRecord | null)[]>;
  /**
   * {@link Store.finishJobs} and then, with `claim`, {@link Store.claimJobs} in one round trip
   * (PostgreSQL: one statement; SQLite: one transaction), so a worker's next claim rides with the
   * outcomes it writes. The claim does not see the jobs these outcomes send back to `pending`.
   */
  finishAndClaimJobs(
    worker: string,
    finishes: readonly JobFinish[],
    claim: JobClaim | null,
    now: number,
  ): Promise<{ finished: (JobRecord | null)[]; claimed: JobRecord[] }>;
  /**
   * Cancels a job: pending → `cancelled` at once; running → `cancelRequested` (its worker aborts
   * it). A finished job is returned unchanged; null when unknown.
   */
  cancelJob(id: string, reason: string, now: number): Promise<JobRecord | null>;
  /**
   * Running jobs whose lease expired by `now` (their worker died): back to `pending` (the attempt
   * stays counted), `failed` when no attempts remain, `cancelled` when a cancel was asked.
   */
  reclaimJobs(now: number): Promise<JobRecord[]>;
  addJobAction(action: NewJobAction): Promise<JobActionRecord>;
  /** Oldest first. */
  listJobActions(query: {
    jobId?: string;
    daemon?: string;
    limit?: number;
  }): Promise<JobActionRecord[]>;
  /** Removes finished jobs (and their actions) whose `finishedAt` is before `before`. */
  sweepJobs(before: number): Promise<number>;

  /** Calls `onNotify` on each wake-up of `channel`; resolves with a function that stops it. */
  listen(channel: StoreChannel, onNotify: () => void): Promise<() => Promise<void>>;
  notify(channel: StoreChannel): Promise<void>;
}

/** The job half of the store, which each implementation provides from its own module. */
export type JobMethods = Pick<
  Store,
  | "insertJob"
  | "launchJob"
  | "launchJobs"
  | "getJob"
  | "listJobs"
  | "countJobs"
  | "claimJobs"
  | "renewJobLease"
  | "setJobProgress"
  | "finishJob"
  | "finishJobs"
  | "finishAndClaimJobs"
  | "cancelJob"
  | "reclaimJobs"
  | "addJobAction"
  | "listJobActions"
  | "sweepJobs"
>;
