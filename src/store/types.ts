import type { DeadLetter } from "../events/types.js";
import type {
  EventEnvelope,
  JobActionKind,
  JobActionRecord,
  JobRecord,
  JobStatus,
  LogLevel,
} from "../registry/types.js";

export type StoreKind = "sqlite" | "postgres" | "memory";

/** One manager process (DESIGN.md §8). Times are ms since the epoch. */
export interface NodeRecord {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  startedAt: number;
  lastHeartbeatAt: number | null;
  /** The node's HTTP server, if it runs one (how the CLI finds a running manager). */
  url?: string | null;
}

/** What one node last knew about one daemon: the seeds' "daemon record". */
export interface DaemonRecord {
  name: string;
  /** The node that runs (or ran) it. */
  node: string;
  /** The supervisor's state name (`running`, `failed`, …). */
  state: string;
  enabled: boolean;
  autoStart: boolean;
  restartCount: number;
  lastError: string | null;
  startedAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeatDetails: Record<string, unknown> | null;
  /** A record older than the stored one (by `updatedAt`) does not overwrite it. */
  updatedAt: number;
}

/**
 * Operator settings of one daemon, keyed by name alone (not node), so they survive a restart of
 * the process and apply to its next start anywhere. `null` means "not set: use the spec".
 */
export interface DaemonSettings {
  name: string;
  enabled: boolean | null;
  autoStart: boolean | null;
  configOverrides: Record<string, unknown> | null;
  updatedAt: number;
}

/** A change to settings: an omitted field is left as stored, `null` clears it. */
export interface DaemonSettingsPatch {
  enabled?: boolean | null;
  autoStart?: boolean | null;
  /** Replaces the stored overrides as a whole (the caller merges). */
  configOverrides?: Record<string, unknown> | null;
}

export interface LogRow {
  time: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown> | null;
  node?: string | null;
}

export interface StoredLog {
  id: number;
  time: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  node: string | null;
}

export interface LogQuery {
  daemon?: string;
  /** Minimum level: `"warn"` returns warn and error. */
  level?: LogLevel;
  /** Inclusive, ms since the epoch. */
  since?: number;
  /** Exclusive, ms since the epoch. */
  until?: number;
  /** Default 1000. */
  limit?: number;
  /** By time: `"desc"` (default) returns the newest first. */
  order?: "asc" | "desc";
}

export interface LogRetention {
  /** Keep at most this many rows per daemon (the newest). `Infinity` for no limit. */
  maxRowsPerDaemon: number;
  /** Remove rows older than this. `Infinity` for no limit. */
  maxAgeMs: number;
  now: number;
}

/** An event to append: the envelope without its `seq`, which the store assigns. */
export type NewEvent = Omit<EventEnvelope<string>, "seq">;

export interface EventQuery {
  /** Events with `seq` greater than this; 0 for all. */
  afterSeq: number;
  types?: readonly string[];
  limit: number;
}

export interface LeaseRecord {
  name: string;
  holder: string;
  token: number;
  expiresAt: number;
}

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

export interface StoreHealth {
  /** Open, and every recent write reached the database. */
  ok: boolean;
  /** The database was unreachable on the last attempt: writes are being buffered and retried. */
  degraded: boolean;
  message: string;
  /** Rows waiting in the write buffers. */
  buffered: number;
  /** Rows dropped since open because a buffer was full (or the database refused them). */
  dropped: number;
}

/**
 * Non-blocking writes, batched and retried: for the hot paths (logs, daemon records, heartbeats).
 * None of these blocks or throws. While the database is unreachable rows are kept up to a bound
 * (the oldest beyond it are dropped and counted in {@link StoreHealth.dropped}), the store reports
 * itself degraded, and everything is written once it is back.
 */
export interface StoreWrites {
  log(row: LogRow): void;
  /** Coalesced by (node, name): only the latest record of a daemon waits in the buffer. */
  daemon(record: DaemonRecord): void;
  /** Coalesced by node. */
  nodeHeartbeat(id: string, at: number): void;
  /** Writes everything buffered now; rejects (keeping the rows) if the database is unreachable. */
  flush(): Promise<void>;
}

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
 */
export interface Store {
  readonly kind: StoreKind;
  /** The URL it was opened with, password redacted. */
  readonly url: string;
  open(): Promise<void>;
  close(): Promise<void>;
  health(): StoreHealth;
  readonly writes: StoreWrites;

  upsertNode(node: NodeRecord): Promise<void>;
  heartbeatNode(id: string, at: number): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;

  /** Upserts by (node, name); a record older than the stored one is ignored. */
  saveDaemons(records: readonly DaemonRecord[]): Promise<void>;
  loadDaemons(node?: string): Promise<DaemonRecord[]>;
  setDaemonSettings(name: string, patch: DaemonSettingsPatch, at: number): Promise<DaemonSettings>;
  loadDaemonSettings(): Promise<DaemonSettings[]>;

  appendLogs(rows: readonly LogRow[]): Promise<void>;
  queryLogs(query?: LogQuery): Promise<StoredLog[]>;
  /** Removes logs beyond the retention; returns how many rows were removed. */
  trimLogs(retention: LogRetention): Promise<number>;

  /**
   * Removes events older than `maxAgeMs` that every subscriber with a cursor has passed; returns
   * how many were removed. (Dead letters keep their own copy of the event.)
   */
  trimEvents(retention: { maxAgeMs: number; now: number }): Promise<number>;
  /** Appends events in order; returns their seqs, in the same order. */
  appendEvents(events: readonly NewEvent[]): Promise<number[]>;
  /** Events after a seq, in seq order. */
  readEvents(query: EventQuery): Promise<EventEnvelope<string>[]>;
  /** The last seq a declared subscriber handled; 0 if none. */
  getCursor(subscriber: string): Promise<number>;
  setCursor(subscriber: string, seq: number): Promise<void>;
  /** Stores a dead letter; one with an id already stored is ignored. */
  addDeadLetter(letter: DeadLetter): Promise<void>;
  /** Oldest first. */
  listDeadLetters(query?: { subscriber?: string; limit?: number }): Promise<DeadLetter[]>;
  removeDeadLetter(id: string): Promise<boolean>;

  /**
   * Takes lease `name` for `holder` until `now + ttlMs` if it is free, expired, or already held by
   * `holder`. Returns the fencing token, or null if another holder has it. The token is unchanged
   * while the same holder keeps the lease, and greater than every earlier token otherwise.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<number | null>;
  /** Extends a lease still held with this token; false if it expired or was taken. */
  renewLease(
    name: string,
    holder: string,
    token: number,
    ttlMs: number,
    now: number,
  ): Promise<boolean>;
  /** Gives the lease up at once (the next holder gets a greater token); false if not held. */
  releaseLease(name: string, holder: string, token: number): Promise<boolean>;
  getLease(name: string): Promise<LeaseRecord | null>;

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
    finishes: readonly { id: string; outcome: JobOutcome }[],
    now: number,
  ): Promise<(JobRecord | null)[]>;
  /**
   * {@link Store.finishJobs} and then, with `claim`, {@link Store.claimJobs} in one round trip
   * (PostgreSQL: one statement; SQLite: one transaction), so a worker's next claim rides with the
   * outcomes it writes. The claim does not see the jobs these outcomes send back to `pending`.
   */
  finishAndClaimJobs(
    worker: string,
    finishes: readonly { id: string; outcome: JobOutcome }[],
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

export const LOG_LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

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
