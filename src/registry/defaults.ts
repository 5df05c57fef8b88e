/**
 * Every default of the registry in one place, durations in milliseconds: daemon options, the
 * restart policy, the event bus, jobs and the manager, and the pattern a daemon name must match.
 */
import { HOUR, MILLISECOND, MINUTE, SECOND } from "./duration.js";
import { MB } from "./size.js";
import type { EventBusOptions, RestartPolicy } from "./types.js";

/**
 * Every default of a daemon, in one place (DESIGN.md §2). Durations are milliseconds.
 */
export const DAEMON_DEFAULTS = {
  category: "misc",
  /** A cycle's interval when neither code nor `${PREFIX}_DAEMON_INTERVAL` gives one (seeds: 60). */
  interval: 60 * SECOND,
  readiness: "setup" as const,
  readyTimeout: 30 * SECOND,
  stopTimeout: 30 * SECOND,
  cycleTimeout: undefined as number | undefined,
  /** Failed cycles back off like restarts: max(interval, 1 s, 2 s, 4 s … maxDelay). */
  cycleErrorBackoff: true,
  maxConsecutiveErrors: 3,
  healthInterval: 30 * SECOND,
  healthTimeout: 5 * SECOND,
  unhealthyThreshold: 3,
  /** A daemon that beat once (`ctx.heartbeat()`) and then not for this long is unhealthy; default none. */
  heartbeatTimeout: undefined as number | undefined,
  maxStall: undefined as number | undefined,
  critical: true,
  enabled: true,
  autoStart: true,
  scope: "node" as const,
};

/**
 * Where code runs, by default: inline; a process (a process daemon, a command daemon or job)
 * gets 5 s between SIGTERM and SIGKILL.
 */
export const ISOLATION_DEFAULTS = {
  isolation: "inline" as const,
  killTimeout: 5 * SECOND,
};

/** Restarts: 1 s, 2 s, 4 s, 8 s, 16 s, then `failed`; a minute of good running resets the count. */
export const RESTART_DEFAULTS: RestartPolicy = {
  policy: "on-failure",
  maxRestarts: 5,
  initialDelay: 1 * SECOND,
  factor: 2,
  maxDelay: 16 * SECOND,
  jitter: 0,
  resetAfter: 1 * MINUTE,
};

export const EVENT_BUS_DEFAULTS: EventBusOptions = {
  mailboxCapacity: 10_000,
  dedupWindow: 10_000,
  maxAttempts: 3,
  retryDelay: 100,
  deadLetterCapacity: 10_000,
  historySize: 1_000,
};

export const JOB_DEFAULTS = {
  concurrency: 1,
  maxAttempts: 3,
  timeout: undefined as number | undefined,
  backoff: { initialDelay: 1 * SECOND, factor: 2, maxDelay: 1 * MINUTE },
};

export const MANAGER_DEFAULTS = {
  envPrefix: "RINGMASTER",
  store: "sqlite:.ringmaster/state.db",
  storePollInterval: 1 * SECOND,
  http: { host: "127.0.0.1", port: 8790 },
  shutdownTimeout: 30 * SECOND,
  startup: "parallel" as const,
  /** Containment of inline daemons (DESIGN.md §11): `true`, `"shutdown"` or `false`. */
  contain: true as boolean | "shutdown",
  /** A stall of the event loop longer than this is attributed and counted. */
  stallThreshold: 500 * MILLISECOND,
  /** How often the stall watch checks the loop (its resolution). */
  stallCheckInterval: 100 * MILLISECOND,
  /** The process heap above this is reported (bytes); default none. */
  maxHeap: undefined as number | undefined,
  /** How often the heap is sampled when `maxHeap` is set. */
  heapSampleInterval: 1 * SECOND,
  /** `store.outageBuffer`: bytes of writes kept in memory while the store is unreachable. */
  outageBuffer: 64 * MB,
  /** `events.retention`: events older than `maxAge` (ms) or beyond the newest `maxRows` go. */
  eventRetention: { maxAge: 7 * 24 * HOUR, maxRows: 1_000_000 },
  /** Per-daemon log files (`logFiles`), when asked for: rotated at 10 MB, 5 rotated files kept. */
  logFiles: { maxSize: 10 * MB, maxFiles: 5 },
};

/** lower_snake_case: a letter, then letters, digits and single underscores. */
export const DAEMON_NAME_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
