/**
 * What a running daemon sees and reports: the daemon context `ctx` and the pieces it carries
 * (logger, stats, node), and the health results a `health` hook returns and the manager reports.
 */
import type { Clock } from "../internal/clock.js";
import type { DaemonEvents } from "./event-types.js";
import type { DaemonJobs } from "./job-types.js";

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
  /** A `scope: "cluster"` daemon's lease on this node (DESIGN.md §8); undefined for the others. */
  readonly lease?: DaemonLease | undefined;
}

/**
 * `ctx.lease` of a `scope: "cluster"` daemon (DESIGN.md §8). `token` is the fencing token of
 * this run: strictly greater than every earlier holder's, so a daemon that writes elsewhere passes
 * it along and a stale holder's writes can be rejected. `held()` asks the clock each time (not a
 * flag a stalled event loop could leave stale): true until the lease is lost or its renewal
 * deadline passes. `assertHeld()` throws `LeaseLostError` when `held()` is false.
 */
export interface DaemonLease {
  readonly token: number;
  readonly holder: string;
  /** The current expiry in ms since the epoch; moves forward with each renewal. */
  readonly expiresAt: number;
  held(): boolean;
  assertHeld(): void;
}
