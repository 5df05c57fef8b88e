/**
 * The daemon spec: the options `defineDaemon` accepts, its hooks, the restart policy, and the
 * normalized frozen `DaemonSpec` every other part reads (DESIGN.md §2).
 */
import type { ZodType } from "zod";
import type { CommandHealthCheck, CommandReadiness, CommandSpec } from "./command-options.js";
import type { DaemonContext, HealthResult } from "./context-types.js";
import type { EventName } from "./event-types.js";
import type { IsolationOptions, IsolationSettings } from "./isolation-options.js";

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
export interface DaemonOptions<C = Record<string, unknown>>
  extends Omit<DaemonHooks<C>, "health">,
    IsolationOptions {
  /**
   * Health check: a function (either result shape), or for a command daemon `{ http: url }`
   * (a 2xx answer within `healthTimeout` is healthy). Without it the manager derives health.
   */
  health?: DaemonHooks<C>["health"] | CommandHealthCheck;
  /**
   * The daemon *is* this external program (`["python3", "train.py", "--fast"]`), supervised as a
   * process group (DESIGN.md §11): stdout lines are `info` logs, stderr lines `warn`; exit code 0
   * ends the run normally, any other code or a signal is a failure. Its config reaches it as
   * `${PREFIX}_${DAEMON}_${KEY}` environment variables. No setup/cycle/run/cleanup hooks then.
   */
  command?: readonly string[];
  /** A command daemon's working directory; default the manager's. */
  cwd?: string;
  /** Added to a command daemon's environment (after the config variables). */
  env?: Record<string, string>;
  /** When a command daemon is ready: `"spawn"` (default), `{ line: /regex/ }` or `{ http: url }`. */
  ready?: CommandReadiness;
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
  /**
   * Cycle schedule: a fixed delay between the end of one cycle and the start of the next. A cycle
   * without `interval` or `cron` runs every `${PREFIX}_DAEMON_INTERVAL` seconds, else every
   * `DAEMON_DEFAULTS.interval` (60 s).
   */
  interval?: Duration;
  /** Cycle schedule as a cron expression (croner syntax, seconds optional). */
  cron?: string;
  readiness?: "setup" | "manual";
  readyTimeout?: Duration;
  stopTimeout?: Duration;
  cycleTimeout?: Duration;
  /**
   * After a failed cycle, wait `max(interval, restart delay for the error count)` before the next
   * (1 s, 2 s, 4 s … up to `restart.maxDelay` with the defaults); back to `interval` after a
   * success. Default true; interval daemons only (cron keeps its schedule).
   */
  cycleErrorBackoff?: boolean;
  maxConsecutiveErrors?: number;
  healthInterval?: Duration;
  healthTimeout?: Duration;
  unhealthyThreshold?: number;
  /**
   * A daemon that called `ctx.heartbeat()` once in a run and then not for this long is
   * unhealthy (`"heartbeat 42 s old"`), which counts toward `unhealthyThreshold` like a failed
   * health check (it is looked at on every check, `healthInterval`). Default none.
   */
  heartbeatTimeout?: Duration;
  /**
   * A stall of the event loop longer than this while this daemon's code runs fails it (an inline
   * daemon shares the loop with every other); default none: stalls are only counted and logged.
   */
  maxStall?: Duration;
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
  /**
   * The name part of its env variables, default its name: `envName: "TRAINING_ACTIVITY"` reads
   * `RINGRIFT_TRAINING_ACTIVITY_INTERVAL` instead of `RINGRIFT_TRAINING_NODE_WATCHER_INTERVAL`.
   */
  envName?: string;
}

/**
 * A declared daemon: the normalized, frozen result of `defineDaemon`. Every option has its value
 * (defaults filled in from `DAEMON_DEFAULTS`), durations are milliseconds, dependencies are names.
 */
export interface DaemonSpec<C = any> extends DaemonHooks<C>, IsolationSettings {
  readonly kind: "daemon";
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly dependsOn: readonly string[];
  readonly subscribes: readonly string[];
  readonly emits: readonly string[];
  readonly config: ZodType<C> | undefined;
  /** ms; undefined for a cycle given no schedule in code (the config resolver fills it in). */
  readonly interval: number | undefined;
  readonly cron: string | undefined;
  readonly readiness: "setup" | "manual";
  readonly readyTimeout: number;
  readonly stopTimeout: number;
  readonly cycleTimeout: number | undefined;
  readonly cycleErrorBackoff: boolean;
  readonly maxConsecutiveErrors: number;
  readonly healthInterval: number;
  readonly healthTimeout: number;
  readonly unhealthyThreshold: number;
  /** ms, or undefined: heartbeat age is not checked. */
  readonly heartbeatTimeout: number | undefined;
  /** ms, or undefined: stalls only counted (see `stallThreshold` of the config). */
  readonly maxStall: number | undefined;
  readonly restart: Readonly<RestartPolicy>;
  readonly critical: boolean;
  readonly enabled: boolean;
  readonly autoStart: boolean;
  readonly scope: "node" | "cluster";
  readonly deprecated: string | undefined;
  /** What a command daemon runs (DESIGN.md §11); undefined for a daemon of code. */
  readonly command: CommandSpec | undefined;
  /** bytes, or undefined for no limit */
  readonly maxMemory: number | undefined;
  /** ms from SIGTERM to SIGKILL */
  readonly killTimeout: number;
  /** The name part of its env variables (`envName`, else `name`). */
  readonly envName: string;
}
