import type { ZodType } from "zod";
import type { Clock } from "../internal/clock.js";

/**
 * Event types and their payloads. Applications extend it by declaration merging:
 *
 * ```ts
 * declare module "ringmaster" {
 *   interface Events { DATA_SYNC_COMPLETED: { files: number } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging
export interface Events {}

/** A declared event type; any string while the application declares none. */
export type EventName = [keyof Events] extends [never] ? string : keyof Events & string;
/** The payload of event type `K`. */
export type EventPayload<K extends string> = K extends keyof Events ? Events[K] : unknown;

/** An event as delivered: the envelope of DESIGN.md §5. */
export interface EventEnvelope<K extends string = EventName> {
  /** Unique id; a subscriber sees a given id once (within the dedup window). */
  id: string;
  type: K;
  payload: EventPayload<K>;
  /** The daemon (or "manager", or an application-chosen name) that published it. */
  source: string;
  /** Publish time, ms since the epoch, from the manager's clock. */
  time: number;
  /** Position in the bus's publish order, starting at 1. */
  seq: number;
}

export type EventHandler<K extends string = EventName> = (
  event: EventEnvelope<K>,
) => void | Promise<void>;

/** The bus as a daemon sees it: publishing is stamped with the daemon's name. */
export interface DaemonEvents {
  publish<K extends EventName>(
    type: K,
    payload: EventPayload<K>,
    options?: { id?: string },
  ): EventEnvelope<K>;
  /**
   * Handles events of `type`. For a type listed in the daemon's `subscribes`, events that arrived
   * before this call (while the daemon was starting, restarting or paused) are delivered first,
   * in order. The subscription ends when the daemon stops; the returned function ends it sooner.
   */
  subscribe<K extends EventName>(type: K, handler: EventHandler<K>): () => void;
}

export type HealthStatus = "healthy" | "degraded" | "unhealthy" | "unknown";

/** What a `health` hook returns: either shape is accepted and normalized. */
export type HealthResult =
  | { status: HealthStatus; message?: string; details?: Record<string, unknown> }
  | { healthy: boolean; message?: string; details?: Record<string, unknown> };

/** A normalized health report. */
export interface HealthReport {
  status: HealthStatus;
  message: string;
  details: Record<string, unknown>;
  /** When the check ran (ms since the epoch), or null if it never ran. */
  checkedAt: number | null;
  /** Where the verdict came from: the daemon's hook, or derived by the manager. */
  source: "hook" | "derived";
}

export interface DaemonLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Counters of one daemon's current run. */
export interface DaemonStats {
  cycles: number;
  cycleErrors: number;
  consecutiveErrors: number;
  lastCycleAt: number | null;
  lastCycleDurationMs: number | null;
}

export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
}

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
   * `dedupKey` matches one).
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

/**
 * Everything a daemon may touch. A daemon gets what it needs from here and never reads
 * `process.env` or a global singleton.
 */
export interface DaemonContext<C = Record<string, unknown>> {
  readonly name: string;
  /** The resolved config: zod defaults, file, YAML overrides, env, stored overrides. Frozen. */
  readonly config: Readonly<C>;
  readonly log: DaemonLogger;
  /** Aborted when this run of the daemon is asked to stop (or a cycle times out, for `cycle`). */
  readonly signal: AbortSignal;
  /** Marks the daemon ready (with `readiness: "manual"`). Idempotent. */
  ready(): void;
  /** Records that the daemon is alive, with optional details shown in status. */
  heartbeat(details?: Record<string, unknown>): void;
  /** Waits `ms` on the manager's clock; rejects when the daemon is stopped. */
  sleep(ms: number): Promise<void>;
  readonly events: DaemonEvents;
  readonly jobs: DaemonJobs;
  readonly stats: Readonly<DaemonStats>;
  readonly node: NodeInfo;
  /** The manager's clock; use it instead of `Date.now()` so tests can control time. */
  readonly clock: Clock;
}

export type RestartPolicyName = "on-failure" | "always" | "never";

/**
 * When and how fast a failed daemon is restarted. With the defaults the delays are
 * 1 s, 2 s, 4 s, 8 s, 16 s, then `failed`: delay(n) = min(initialDelay × factor^(n-1), maxDelay)
 * for restart n = 1..maxRestarts; the failure after restart `maxRestarts` is final.
 */
export interface RestartPolicy {
  policy: RestartPolicyName;
  maxRestarts: number;
  /** ms */
  initialDelay: number;
  factor: number;
  /** ms */
  maxDelay: number;
  /** Random spread as a fraction of the delay (0 = none); the result never exceeds `maxDelay`. */
  jitter: number;
  /** ms: running this long without failure resets the restart count. */
  resetAfter: number;
}

/** A duration: a number of milliseconds or a string such as `"500ms"`, `"60s"`, `"5m"`, `"1h"`. */
export type Duration = number | string;

/** The hooks of a daemon. All are optional; see DESIGN.md §2. */
export interface DaemonHooks<C> {
  /** Runs once per start; the daemon is ready when it resolves (with `readiness: "setup"`). */
  setup?(ctx: DaemonContext<C>): void | Promise<void>;
  /** Periodic work, every `interval` (fixed delay after the previous cycle ends) or on `cron`. */
  cycle?(ctx: DaemonContext<C>): void | Promise<void>;
  /** Long-running work; should return when `ctx.signal` aborts. Alternative to `cycle`. */
  run?(ctx: DaemonContext<C>): void | Promise<void>;
  /** Health check: either result shape. Without it the manager derives health. */
  health?(ctx: DaemonContext<C>): HealthResult | Promise<HealthResult>;
  /** Runs once per stop, also after a setup that failed half way. */
  cleanup?(ctx: DaemonContext<C>): void | Promise<void>;
}

/** What `defineDaemon` accepts. */
export interface DaemonOptions<C = Record<string, unknown>> extends DaemonHooks<C> {
  /** lower_snake_case, unique within the registry. */
  name: string;
  description?: string;
  /** Grouping shown in listings and used by `start --category`. Default `"misc"`. */
  category?: string;
  /** Daemons that must be running before this one starts: specs or names. */
  dependsOn?: ReadonlyArray<DaemonSpec<any> | string>;
  /** Event types this daemon consumes; each gives it a mailbox from the moment the manager exists. */
  subscribes?: readonly EventName[];
  /** Event types this daemon publishes (documentation, validation and the graph). */
  emits?: readonly EventName[];
  /** The daemon's config schema; defaults come from it. */
  config?: ZodType<C>;
  /** Cycle schedule: a fixed delay between the end of one cycle and the start of the next. */
  interval?: Duration;
  /** Cycle schedule as a cron expression (croner syntax, seconds optional). */
  cron?: string;
  readiness?: "setup" | "manual";
  readyTimeout?: Duration;
  stopTimeout?: Duration;
  cycleTimeout?: Duration;
  maxConsecutiveErrors?: number;
  healthInterval?: Duration;
  healthTimeout?: Duration;
  unhealthyThreshold?: number;
  restart?: Partial<Omit<RestartPolicy, "initialDelay" | "maxDelay" | "resetAfter">> & {
    initialDelay?: Duration;
    maxDelay?: Duration;
    resetAfter?: Duration;
  };
  critical?: boolean;
  enabled?: boolean;
  autoStart?: boolean;
  scope?: "node" | "cluster";
  /** A message: the daemon still works, but `validate` and start-up warn. */
  deprecated?: string;
}

/**
 * A declared daemon: the normalized, frozen result of `defineDaemon`. Every option has its value
 * (defaults filled in from `DAEMON_DEFAULTS`), durations are milliseconds, dependencies are names.
 */
export interface DaemonSpec<C = any> extends DaemonHooks<C> {
  readonly kind: "daemon";
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly dependsOn: readonly string[];
  readonly subscribes: readonly string[];
  readonly emits: readonly string[];
  readonly config: ZodType<C> | undefined;
  /** ms */
  readonly interval: number | undefined;
  readonly cron: string | undefined;
  readonly readiness: "setup" | "manual";
  readonly readyTimeout: number;
  readonly stopTimeout: number;
  readonly cycleTimeout: number | undefined;
  readonly maxConsecutiveErrors: number;
  readonly healthInterval: number;
  readonly healthTimeout: number;
  readonly unhealthyThreshold: number;
  readonly restart: Readonly<RestartPolicy>;
  readonly critical: boolean;
  readonly enabled: boolean;
  readonly autoStart: boolean;
  readonly scope: "node" | "cluster";
  readonly deprecated: string | undefined;
}

/** A job handler (DESIGN.md §7). */
export interface JobSpec<P = any> {
  readonly kind: "job";
  readonly type: string;
  readonly payload: ZodType<P> | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  /** ms per attempt, or undefined for none */
  readonly timeout: number | undefined;
  readonly backoff: { initialDelay: number; factor: number; maxDelay: number };
  run(payload: P, ctx: JobContext): unknown | Promise<unknown>;
}

export interface JobContext {
  readonly id: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  readonly log: DaemonLogger;
  progress(percent: number, message?: string): void;
}

export interface HttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** What `defineConfig` accepts. */
export interface RingmasterConfigInput {
  /** Prefix of environment variables. Default `"RINGMASTER"`. */
  envPrefix?: string;
  daemons: ReadonlyArray<DaemonSpec<any>>;
  jobs?: ReadonlyArray<JobSpec<any>>;
  profiles?: Record<string, readonly string[]>;
  /** The order `startup: "sequential"` follows; validated against the dependencies. */
  startupOrder?: readonly string[];
  /** `"parallel"` (default): along the dependency graph. `"sequential"`: `startupOrder`, one at a time. */
  startup?: "parallel" | "sequential";
  /** `sqlite:PATH`, `postgres://…` or `memory:`. Default `sqlite:.ringmaster/state.db`. */
  store?: string;
  /** SQLite: how often other processes' events and jobs are polled for. Default 1 s. */
  storePollInterval?: Duration;
  /** Re-deliver dead letters of failed handlers this often (a built-in sweeper); default off. */
  deadLetterRetryInterval?: Duration;
  /** The HTTP server; omitted or `false` for none. */
  http?: Partial<HttpOptions> | false;
  /** Per-daemon config values (the "config file" layer), by daemon name. */
  daemonConfig?: Record<string, Record<string, unknown>>;
  /** Path of a YAML overrides file (`daemons: { auto_sync: { enabled: true, batchSize: 50 } }`). */
  overridesFile?: string;
  /** Event bus tuning. */
  events?: Partial<EventBusOptions>;
  /** Manager-wide settings. */
  shutdownTimeout?: Duration;
}

/** The bundled configuration: the normalized result of `defineConfig`. */
export interface RingmasterConfig {
  readonly kind: "config";
  readonly envPrefix: string;
  readonly daemons: ReadonlyArray<DaemonSpec<any>>;
  readonly jobs: ReadonlyArray<JobSpec<any>>;
  readonly profiles: Readonly<Record<string, readonly string[]>>;
  readonly startupOrder: readonly string[] | undefined;
  readonly startup: "parallel" | "sequential";
  readonly store: string;
  /** ms */
  readonly storePollInterval: number;
  /** ms, or undefined for no dead-letter sweeper */
  readonly deadLetterRetryInterval: number | undefined;
  readonly http: HttpOptions | false;
  readonly daemonConfig: Readonly<Record<string, Record<string, unknown>>>;
  readonly overridesFile: string | undefined;
  readonly events: EventBusOptions;
  /** ms */
  readonly shutdownTimeout: number;
}

export interface EventBusOptions {
  /** Events a mailbox holds before new ones are dead-lettered. */
  mailboxCapacity: number;
  /** Event ids remembered per subscriber to drop duplicates. */
  dedupWindow: number;
  /** Delivery attempts per event and subscriber before it is dead-lettered. */
  maxAttempts: number;
  /** ms before the first retry; doubles after each. */
  retryDelay: number;
  /** Dead letters kept in memory (oldest dropped first, and counted). */
  deadLetterCapacity: number;
  /** Recent events kept for listing. */
  historySize: number;
}

export type ValidationSeverity = "error" | "warning";

/** One problem found by `validateConfig`. */
export interface ValidationProblem {
  severity: ValidationSeverity;
  /** A stable machine-readable code, e.g. `"unknown-dependency"`, `"startup-order"`, `"cycle"`. */
  code: string;
  /** The daemon (or profile, or event type) the problem is about, if any. */
  subject?: string;
  /** One line a person can act on. */
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationProblem[];
  warnings: ValidationProblem[];
}
