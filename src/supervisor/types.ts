import type { EventBus } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import type { RunnerStats } from "../isolation/types.js";
import type { HealthReport, LogLevel } from "../registry/types.js";

/**
 * The states of one daemon (DESIGN.md §4):
 *
 * ```
 * stopped ─► waiting ─► starting ─► running ⇄ paused
 *    ▲          │           │          │
 *    └───── stopping ◄──────┴──────────┤
 *                                   backoff ─► starting …   failed (restart budget spent)
 *
 * standby ◄─► starting    (scope "cluster": another node holds the lease; it starts here once
 *    ▲                      this node acquires it, and returns through stopping when it is lost)
 * ```
 */
export type DaemonState =
  | "stopped"
  | "waiting"
  | "starting"
  | "running"
  | "paused"
  | "stopping"
  | "backoff"
  | "failed"
  | "standby";

export const DAEMON_STATES: readonly DaemonState[] = [
  "stopped",
  "waiting",
  "starting",
  "running",
  "paused",
  "stopping",
  "backoff",
  "failed",
  "standby",
];

/** What `manager.status()` reports for one daemon. */
export interface DaemonStatus {
  name: string;
  description: string;
  category: string;
  state: DaemonState;
  /** True while running and ready (paused daemons stay ready). */
  ready: boolean;
  /** Whether the daemon was asked to run (directly, or as a dependency of one that was). */
  requested: boolean;
  /** When it runs only because others need it: the requested daemons that pulled it in. */
  pulledInBy: string[];
  /** While waiting: the dependencies that are not running yet. */
  waitingOn: string[];
  health: HealthReport;
  /** Restarts in the life of this manager, automatic and manual. */
  restarts: number;
  /** Automatic restarts since the budget was last reset (by `resetAfter` of good running or a manual start). */
  restartAttempt: number;
  /** The restart budget: the failure after restart `maxRestarts` makes the daemon `failed`. */
  maxRestarts: number;
  lastError: string | null;
  lastErrorAt: number | null;
  startedAt: number | null;
  stoppedAt: number | null;
  /**
   * The last stop did not finish in time: why (its work or cleanup outlasted `stopTimeout`, so
   * it may still hold resources); null when it did. Also its `lastError`. Cleared by a start.
   */
  unstopped: string | null;
  nextRestartAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeat: Record<string, unknown> | null;
  cycles: number;
  cycleErrors: number;
  consecutiveErrors: number;
  lastCycleAt: number | null;
  lastCycleDurationMs: number | null;
  /** Stalls of the event loop over `stallThreshold` while its code ran (DESIGN.md §11). */
  stalls: number;
  lastStall: { ms: number; at: number } | null;
  dependsOn: string[];
  dependents: string[];
  subscribes: string[];
  emits: string[];
  critical: boolean;
  enabled: boolean;
  autoStart: boolean;
  deprecated: string | null;
  schedule: { interval: number | null; cron: string | null };
  /** Where its code runs: kind, and for a live worker or process guest its pid or thread id, RSS / heap and CPU. */
  isolation: RunnerStats;
}

export interface StartOptions {
  profile?: string;
  daemons?: readonly string[];
  categories?: readonly string[];
}

/** What `manager.start()` resolves with. */
export interface StartReport {
  running: string[];
  failed: string[];
  /**
   * In backoff after a failed start: they retry by their restart policy on their own, and
   * `start()` did not wait for that (it never waits longer than the slowest `readyTimeout`).
   */
  retrying: string[];
  /** Still waiting, on a dependency that failed, is retrying or is not wanted. */
  waiting: string[];
  /** Dependencies started because a requested daemon needed them. */
  pulledIn: string[];
  durationMs: number;
}

export interface ShutdownReport {
  /** Daemons that stopped, in the order they finished. */
  stopped: Array<{ name: string; durationMs: number }>;
  /** Daemons whose abort + cleanup did not finish within their stopTimeout (or the overall timeout). */
  unstopped: Array<{ name: string; reason: string }>;
  durationMs: number;
  /**
   * How each part of the runtime (store, durable delivery, jobs, sweepers, HTTP…) stopped, in
   * stop order; only the parts that had started. `error` names a missed timeout or a failure.
   */
  parts: Array<{ name: string; ok: boolean; durationMs: number; error?: string }>;
  /** Why the manager shut itself down, when it did (`contain: "shutdown"` and an unowned error). */
  cause?: string;
}

export interface ProbeReport {
  ok: boolean;
  reasons: string[];
  /** Things that do not fail the probe but an operator should see (a degraded store). */
  warnings?: string[];
  /** With the store's warning: the same as numbers, for the dashboard's banner. */
  store?: ProbeStoreReport;
}

/** The store in `/health` while it is degraded or still writing out what waited (DESIGN.md §6). */
export interface ProbeStoreReport {
  /** `degraded`: unreachable, writes wait; `catching up`: back, the spool still being written. */
  state: "degraded" | "catching up" | "not ok";
  /** While degraded, since when (ms since the epoch); else null. */
  since: number | null;
  /** Writes waiting (memory and spool), the bytes of those in memory, those in the spool. */
  buffered: number;
  bytesBuffered: number;
  spooled: number;
  spoolBytes: number;
  /** Writes lost (no spool, or refused by the database) and refused (spool full) since open. */
  dropped: number;
  refused: number;
}

export interface StateChange {
  name: string;
  from: DaemonState;
  to: DaemonState;
  at: number;
  reason?: string;
}

/** Typed lifecycle events of the manager. Listeners never throw into the manager. */
export interface ManagerEvents {
  "daemon:state": StateChange;
  "daemon:restart": { name: string; attempt: number; delayMs: number; at: number; error: string };
  "daemon:failed": { name: string; error: string; at: number };
  "daemon:health": { name: string; health: HealthReport; previous: HealthReport };
  "daemon:cycle": { name: string; durationMs: number; ok: boolean; error?: string; at: number };
  "daemon:heartbeat": { name: string; at: number; details: Record<string, unknown> | null };
  "daemon:log": {
    name: string;
    level: LogLevel;
    message: string;
    fields: Record<string, unknown>;
    at: number;
  };
  "manager:ready": StartReport;
  "manager:shutdown": { at: number; cause?: string };
  "manager:stopped": ShutdownReport;
  "manager:error": { error: Error; context: string };
}

export interface ManagerOptions {
  clock?: Clock;
  /** A pino-compatible logger; default: pino, pretty on a terminal, JSON otherwise. */
  logger?: import("pino").Logger | false;
  /** Environment to resolve config from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** A store URL, overriding the config's. */
  store?: string;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully (default false for the library). */
  handleSignals?: boolean;
  /**
   * Node identity (DESIGN.md §8). `id` is stable across restarts so cursors and records resume;
   * default `${PREFIX}_NODE_ID`, else `<host>/<profile>` (`<host>/all` without a profile). A
   * second live process with the same id is refused at start. `host` defaults to os.hostname().
   */
  node?: { id?: string; host?: string };
  /**
   * Containment of inline daemons (DESIGN.md §11), overriding the config's `contain`: `true`
   * (default) installs `uncaughtException` / `unhandledRejection` handlers while the manager
   * runs; `"shutdown"` also shuts down cleanly on an error no daemon owns; `false` leaves the
   * process's handlers alone (for hosts that own them).
   */
  contain?: boolean | "shutdown";
}

/** The handle `createManager` returns. See DESIGN.md §4. */
export interface Manager {
  readonly events: EventBus;
  readonly clock: Clock;
  /** The HTTP server's base URL once started, or undefined. */
  readonly url: string | undefined;
  start(options?: StartOptions): Promise<StartReport>;
  status(): DaemonStatus[];
  status(name: string): DaemonStatus;
  startDaemon(name: string): Promise<DaemonStatus>;
  stopDaemon(name: string): Promise<DaemonStatus>;
  restartDaemon(name: string): Promise<DaemonStatus>;
  pauseDaemon(name: string): Promise<DaemonStatus>;
  resumeDaemon(name: string): Promise<DaemonStatus>;
  checkHealth(name: string): Promise<import("../registry/types.js").HealthReport>;
  liveness(): ProbeReport;
  /** The registry queries (DESIGN.md §4) over this manager's config; see `categories(config)`. */
  categories(): string[];
  daemonsByCategory(category: string): import("../registry/types.js").DaemonSpec[];
  deprecatedDaemons(): import("../registry/queries.js").DeprecatedDaemon[];
  registryHealth(): import("../registry/queries.js").RegistryHealth;
  readiness(): ProbeReport;
  on<K extends keyof ManagerEvents>(
    event: K,
    listener: (payload: ManagerEvents[K]) => unknown,
  ): () => void;
  /** `cause`: why (recorded in the report and the `manager:shutdown` event). */
  shutdown(options?: { timeout?: number; cause?: string }): Promise<ShutdownReport>;
}
