/**
 * The declaring functions of the registry: `defineDaemon`, `defineJob` and `defineConfig` turn
 * what a user writes into normalized, frozen specs (defaults filled in, durations in ms);
 * `adaptService` (in `adapt-service.ts`, re-exported here) wraps a service object as a daemon spec.
 */

import { commandSpec, jobCommand } from "./command-options.js";
import {
  DAEMON_DEFAULTS,
  EVENT_BUS_DEFAULTS,
  JOB_DEFAULTS,
  MANAGER_DEFAULTS,
  RESTART_DEFAULTS,
} from "./defaults.js";
import { parseDuration } from "./duration.js";
import { type IsolationOptions, isolationSettings } from "./isolation-options.js";
import { logFilesOptions } from "./log-files.js";
import { parseSize } from "./size.js";
import { eventRetention, storeOptions } from "./store-options.js";
import type {
  ClusterOptions,
  ClusterOptionsInput,
  DaemonOptions,
  DaemonSpec,
  JobContext,
  JobSpec,
  RestartPolicy,
  RingmasterConfig,
  RingmasterConfigInput,
} from "./types.js";

const optionalDuration = (value: DaemonOptions["interval"], what: string) =>
  value === undefined ? undefined : parseDuration(value, what);

/** An optional duration that must be more than 0 ms (a zero timeout would fail every check). */
function positiveDuration(value: DaemonOptions["interval"], what: string): number | undefined {
  const ms = optionalDuration(value, what);
  if (ms !== undefined && ms <= 0) {
    throw new TypeError(
      `${what}: expected a duration of more than 0 ms such as "30s", found ${ms}`,
    );
  }
  return ms;
}

function count(value: number | undefined, fallback: number, what: string, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`${what}: expected a whole number of at least ${min}, found ${value}`);
  }
  return value;
}

/**
 * Declares a daemon. Fills in every default (see `DAEMON_DEFAULTS`), parses durations into
 * milliseconds and turns dependency specs into names. Throws a `TypeError` naming the daemon and
 * the option when an option cannot be understood; registry-level problems (unknown dependencies,
 * cycles, duplicate names) are reported by `validateConfig` instead.
 */
export function defineDaemon<C = Record<string, unknown>>(
  options: DaemonOptions<C>,
): DaemonSpec<C> {
  if (!options || typeof options !== "object") {
    throw new TypeError("defineDaemon: expected an options object");
  }
  if (typeof options.name !== "string" || options.name.length === 0) {
    throw new TypeError("defineDaemon: `name` must be a non-empty string");
  }
  const at = (option: string) => `daemon "${options.name}", option ${option}`;
  if (options.cycle && options.run) {
    throw new TypeError(
      `${at("cycle/run")}: give either cycle (periodic) or run (long-running), not both`,
    );
  }
  if (options.interval !== undefined && options.cron !== undefined) {
    throw new TypeError(`${at("interval/cron")}: give either interval or cron, not both`);
  }
  if ((options.interval !== undefined || options.cron !== undefined) && !options.cycle) {
    throw new TypeError(
      `${at("interval")}: a schedule without a cycle hook does nothing; add cycle(ctx)`,
    );
  }
  const interval = optionalDuration(options.interval, at("interval"));
  if (interval !== undefined && interval <= 0) {
    throw new TypeError(`${at("interval")}: expected more than 0 ms, found ${interval}`);
  }
  const dependsOn = (options.dependsOn ?? []).map((dep, i) => {
    if (typeof dep === "string") return dep;
    if (dep && typeof dep === "object" && typeof dep.name === "string") return dep.name;
    throw new TypeError(
      `${at(`dependsOn[${i}]`)}: expected a daemon spec or a name, found ${String(dep)}`,
    );
  });
  const r = options.restart ?? {};
  const policy = r.policy ?? RESTART_DEFAULTS.policy;
  if (!["on-failure", "always", "never"].includes(policy)) {
    throw new TypeError(
      `${at("restart.policy")}: expected "on-failure", "always" or "never", found ${JSON.stringify(policy)}`,
    );
  }
  const restart: RestartPolicy = Object.freeze({
    policy,
    maxRestarts: count(r.maxRestarts, RESTART_DEFAULTS.maxRestarts, at("restart.maxRestarts")),
    initialDelay:
      optionalDuration(r.initialDelay, at("restart.initialDelay")) ?? RESTART_DEFAULTS.initialDelay,
    factor: r.factor ?? RESTART_DEFAULTS.factor,
    maxDelay: optionalDuration(r.maxDelay, at("restart.maxDelay")) ?? RESTART_DEFAULTS.maxDelay,
    jitter: r.jitter ?? RESTART_DEFAULTS.jitter,
    resetAfter:
      optionalDuration(r.resetAfter, at("restart.resetAfter")) ?? RESTART_DEFAULTS.resetAfter,
  });
  if (!(restart.factor >= 1))
    throw new TypeError(`${at("restart.factor")}: expected 1 or more, found ${restart.factor}`);
  if (!(restart.jitter >= 0 && restart.jitter <= 1)) {
    throw new TypeError(
      `${at("restart.jitter")}: expected a fraction between 0 and 1, found ${restart.jitter}`,
    );
  }
  const command = commandSpec(options, at);
  const readiness = options.readiness ?? DAEMON_DEFAULTS.readiness;
  if (readiness !== "setup" && readiness !== "manual") {
    throw new TypeError(
      `${at("readiness")}: expected "setup" or "manual", found ${JSON.stringify(readiness)}`,
    );
  }
  const spec: DaemonSpec<C> = {
    kind: "daemon",
    name: options.name,
    description: options.description ?? "",
    category: options.category ?? DAEMON_DEFAULTS.category,
    dependsOn: Object.freeze(dependsOn),
    subscribes: Object.freeze([...(options.subscribes ?? [])]),
    emits: Object.freeze([...(options.emits ?? [])]),
    config: options.config,
    interval,
    cron: options.cron,
    readiness,
    readyTimeout:
      optionalDuration(options.readyTimeout, at("readyTimeout")) ?? DAEMON_DEFAULTS.readyTimeout,
    stopTimeout:
      optionalDuration(options.stopTimeout, at("stopTimeout")) ?? DAEMON_DEFAULTS.stopTimeout,
    cycleTimeout:
      optionalDuration(options.cycleTimeout, at("cycleTimeout")) ?? DAEMON_DEFAULTS.cycleTimeout,
    cycleErrorBackoff: options.cycleErrorBackoff ?? DAEMON_DEFAULTS.cycleErrorBackoff,
    maxConsecutiveErrors: count(
      options.maxConsecutiveErrors,
      DAEMON_DEFAULTS.maxConsecutiveErrors,
      at("maxConsecutiveErrors"),
    ),
    healthInterval:
      optionalDuration(options.healthInterval, at("healthInterval")) ??
      DAEMON_DEFAULTS.healthInterval,
    healthTimeout:
      optionalDuration(options.healthTimeout, at("healthTimeout")) ?? DAEMON_DEFAULTS.healthTimeout,
    unhealthyThreshold: count(
      options.unhealthyThreshold,
      DAEMON_DEFAULTS.unhealthyThreshold,
      at("unhealthyThreshold"),
      1,
    ),
    heartbeatTimeout:
      positiveDuration(options.heartbeatTimeout, at("heartbeatTimeout")) ??
      DAEMON_DEFAULTS.heartbeatTimeout,
    maxStall: optionalDuration(options.maxStall, at("maxStall")) ?? DAEMON_DEFAULTS.maxStall,
    restart,
    critical: options.critical ?? DAEMON_DEFAULTS.critical,
    enabled: options.enabled ?? DAEMON_DEFAULTS.enabled,
    autoStart: options.autoStart ?? DAEMON_DEFAULTS.autoStart,
    scope: options.scope ?? DAEMON_DEFAULTS.scope,
    deprecated: options.deprecated,
    command,
    ...isolationSettings(options, at, import.meta.url),
    envName: envNameOf(options, at("envName")),
    setup: options.setup,
    cycle: options.cycle,
    run: options.run,
    health: typeof options.health === "function" ? options.health : undefined,
    cleanup: options.cleanup,
  };
  return Object.freeze(spec);
}

/** The name part of the daemon's env variables: `envName`, or else its name. */
function envNameOf(options: { name: string; envName?: unknown }, what: string): string {
  const { envName } = options;
  if (envName === undefined) return options.name;
  if (typeof envName !== "string" || !/^[A-Za-z][A-Za-z0-9_]*$/.test(envName)) {
    throw new TypeError(
      `${what}: expected letters, digits and underscores such as "TRAINING_ACTIVITY", found ${JSON.stringify(envName)}`,
    );
  }
  return envName;
}

export interface JobOptions<P> extends IsolationOptions {
  type: string;
  payload?: import("zod").ZodType<P>;
  concurrency?: number;
  maxAttempts?: number;
  timeout?: number | string;
  backoff?: { initialDelay?: number | string; factor?: number; maxDelay?: number | string };
  /** The handler; or give `command` instead. */
  run?(payload: P, ctx: JobContext): unknown | Promise<unknown>;
  /** Runs each attempt as this program (`(payload) => ["python3", "export.py", payload.file]`). */
  command?: (payload: P) => readonly string[];
  /** A command job's working directory. */
  cwd?: string;
  /** Added to a command job's environment. */
  env?: Record<string, string>;
  /** A command job's program still alive this long after SIGTERM gets SIGKILL. Default 5 s. */
  killTimeout?: number | string;
  /** A command job whose process group goes above it (`"1GB"`) fails with `memory limit`. */
  maxMemory?: number | string;
}

/** Declares a job handler (DESIGN.md §7). */
export function defineJob<P = unknown>(options: JobOptions<P>): JobSpec<P> {
  const at = (option: string) => `job "${options.type}", option ${option}`;
  if (typeof options.type !== "string" || !options.type)
    throw new TypeError("defineJob: `type` must be a non-empty string");
  const command = jobCommand(options, at);
  if (!command && typeof options.run !== "function")
    throw new TypeError(`${at("run")}: expected a function (or give command)`);
  const run =
    options.run ??
    (() => {
      throw new Error(`job "${options.type}" runs a program; only a manager can run it`);
    });
  const b = options.backoff ?? {};
  return Object.freeze({
    kind: "job" as const,
    type: options.type,
    payload: options.payload,
    concurrency: count(options.concurrency, JOB_DEFAULTS.concurrency, at("concurrency"), 1),
    maxAttempts: count(options.maxAttempts, JOB_DEFAULTS.maxAttempts, at("maxAttempts"), 1),
    timeout:
      options.timeout === undefined
        ? JOB_DEFAULTS.timeout
        : parseDuration(options.timeout, at("timeout")),
    backoff: {
      initialDelay:
        b.initialDelay === undefined
          ? JOB_DEFAULTS.backoff.initialDelay
          : parseDuration(b.initialDelay, at("backoff.initialDelay")),
      factor: b.factor ?? JOB_DEFAULTS.backoff.factor,
      maxDelay:
        b.maxDelay === undefined
          ? JOB_DEFAULTS.backoff.maxDelay
          : parseDuration(b.maxDelay, at("backoff.maxDelay")),
    },
    ...isolationSettings(options, at, import.meta.url),
    run,
    command,
  });
}

/**
 * Bundles daemons, jobs, profiles and manager settings, filling in defaults. Does not validate
 * the registry (see `validateConfig`, which the manager also runs at start-up).
 */
export function defineConfig(input: RingmasterConfigInput): RingmasterConfig {
  if (!input || typeof input !== "object" || !Array.isArray(input.daemons)) {
    throw new TypeError("defineConfig: expected an object with a `daemons` array");
  }
  const http =
    input.http === false || input.http === undefined
      ? (false as const)
      : {
          host: input.http.host ?? MANAGER_DEFAULTS.http.host,
          port: input.http.port ?? MANAGER_DEFAULTS.http.port,
          ...(input.http.allowedHosts ? { allowedHosts: [...input.http.allowedHosts] } : {}),
        };
  if (input.contain !== undefined && ![true, false, "shutdown"].includes(input.contain)) {
    throw new TypeError(
      `config option contain: expected true, false or "shutdown", found ${JSON.stringify(input.contain)}`,
    );
  }
  const store = storeOptions(input.store);
  const { retention, ...bus } = input.events ?? {};
  return Object.freeze({
    kind: "config" as const,
    envPrefix: input.envPrefix ?? MANAGER_DEFAULTS.envPrefix,
    daemons: Object.freeze([...input.daemons]),
    jobs: Object.freeze([...(input.jobs ?? [])]),
    profiles: Object.freeze({ ...(input.profiles ?? {}) }),
    startupOrder: input.startupOrder ? Object.freeze([...input.startupOrder]) : undefined,
    startup: input.startup ?? MANAGER_DEFAULTS.startup,
    store: store.url,
    outageBuffer: store.outageBuffer,
    storePollInterval:
      input.storePollInterval === undefined
        ? MANAGER_DEFAULTS.storePollInterval
        : parseDuration(input.storePollInterval, "config option storePollInterval"),
    deadLetterRetryInterval:
      input.deadLetterRetryInterval === undefined
        ? undefined
        : parseDuration(input.deadLetterRetryInterval, "config option deadLetterRetryInterval"),
    http,
    ...(input.http === undefined ? { httpOmitted: true as const } : {}),
    daemonConfig: Object.freeze({ ...(input.daemonConfig ?? {}) }),
    overridesFile: input.overridesFile,
    events: { ...EVENT_BUS_DEFAULTS, ...bus, retention: eventRetention(retention) },
    shutdownTimeout:
      input.shutdownTimeout === undefined
        ? MANAGER_DEFAULTS.shutdownTimeout
        : parseDuration(input.shutdownTimeout, "config option shutdownTimeout"),
    contain: input.contain ?? MANAGER_DEFAULTS.contain,
    stallThreshold:
      input.stallThreshold === undefined
        ? MANAGER_DEFAULTS.stallThreshold
        : parseDuration(input.stallThreshold, "config option stallThreshold"),
    maxHeap:
      input.maxHeap === undefined
        ? MANAGER_DEFAULTS.maxHeap
        : parseSize(input.maxHeap, "config option maxHeap"),
    cluster: clusterOptions(input.cluster ?? {}),
    logFiles: logFilesOptions(input.logFiles),
  });
}

/** `cluster:` with its durations in ms; consistency is checked when a manager is created. */
function clusterOptions(input: ClusterOptionsInput): ClusterOptions {
  const { prefer, ...durations } = input;
  const timings: Record<string, number> = {};
  for (const [key, value] of Object.entries(durations)) {
    if (value !== undefined) timings[key] = parseDuration(value, `config option cluster.${key}`);
  }
  return Object.freeze({ timings: Object.freeze(timings), prefer: Object.freeze({ ...prefer }) });
}

export type { ServiceLike } from "./adapt-service.js";
export { adaptService } from "./adapt-service.js";
