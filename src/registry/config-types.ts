/**
 * The bundled configuration: what `defineConfig` accepts and returns, and the problems
 * `validateConfig` reports about it (DESIGN.md §2–§3).
 */
import type { DaemonSpec, Duration } from "./daemon-types.js";
import type { EventBusOptions } from "./event-types.js";
import type { JobSpec } from "./job-types.js";
import type { LogFilesInput, LogFilesOptions } from "./log-files.js";
import type { Size } from "./size.js";
import type { EventRetention, EventRetentionInput, StoreOptionsInput } from "./store-options.js";

export interface HttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * More host names the server may be reached by (a reverse proxy's), beside the bound address,
   * loopback names and IP literals; any other `Host` is refused (421) against DNS rebinding.
   */
  allowedHosts?: readonly string[];
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
  /**
   * `sqlite:PATH`, `postgres://…` or `memory:` (default `sqlite:.ringmaster/state.db`), or
   * `{ url, outageBuffer }`: `outageBuffer` bounds the writes kept in memory while the store is
   * unreachable (`"64MB"` or bytes, default 64 MB); beyond it they go to a local spool file.
   */
  store?: string | StoreOptionsInput;
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
  /**
   * Event bus tuning, and `retention: { maxAge, maxRows }` of stored events (default `"7d"`
   * and 1,000,000): older or beyond the newest `maxRows`, they are swept in small batches.
   */
  events?: Partial<EventBusOptions> & { retention?: EventRetentionInput };
  /** Manager-wide settings. */
  shutdownTimeout?: Duration;
  /**
   * Containment of inline daemons (DESIGN.md §11). `true` (default): an error that escapes a
   * daemon's code fails that daemon; one no daemon owns is logged and counted. `"shutdown"`: an
   * unowned one shuts the manager down cleanly. `false`: the process's handlers are left alone.
   */
  contain?: boolean | "shutdown";
  /** A stall of the event loop longer than this is attributed, logged and counted. Default 500 ms. */
  stallThreshold?: Duration;
  /** Report (and log which daemons were busy) when the process heap passes this; default none. */
  maxHeap?: Size;
  /** Cluster timings and placement (DESIGN.md §8); defaults in `src/cluster/defaults.ts`. */
  cluster?: ClusterOptionsInput;
  /**
   * Per-daemon log files beside the store: `"logs/"` writes each daemon's lines to
   * `logs/<name>.log` (one line each: time, level, message, fields), rotated at `maxSize`
   * (default 10 MB) keeping `maxFiles` rotated files (default 5). Default none.
   */
  logFiles?: LogFilesInput;
}

/** What `cluster:` accepts: the timings (durations) and the preferred nodes of daemons. */
export interface ClusterOptionsInput {
  nodeTtl?: Duration;
  heartbeatInterval?: Duration;
  renewInterval?: Duration;
  leaseTtl?: Duration;
  safetyMargin?: Duration;
  pruneAfter?: Duration;
  /** Node ids in order of preference, per cluster daemon: placement tries them first. */
  prefer?: Record<string, readonly string[]>;
}

/** The cluster settings as `defineConfig` leaves them: timings in ms (unset ones default). */
export interface ClusterOptions {
  readonly timings: Readonly<
    Partial<
      Record<
        | "nodeTtl"
        | "heartbeatInterval"
        | "renewInterval"
        | "leaseTtl"
        | "safetyMargin"
        | "pruneAfter",
        number
      >
    >
  >;
  readonly prefer: Readonly<Record<string, readonly string[]>>;
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
  /** The store URL. */
  readonly store: string;
  /** Bytes (`store.outageBuffer`): writes kept in memory while the store is unreachable. */
  readonly outageBuffer: number;
  /** ms */
  readonly storePollInterval: number;
  /** ms, or undefined for no dead-letter sweeper */
  readonly deadLetterRetryInterval: number | undefined;
  readonly http: HttpOptions | false;
  /** Set when the input left `http` out: the library then serves none, `ringmaster start` the default address. */
  readonly httpOmitted?: true;
  readonly daemonConfig: Readonly<Record<string, Record<string, unknown>>>;
  readonly overridesFile: string | undefined;
  readonly events: EventBusOptions & { readonly retention: EventRetention };
  /** ms */
  readonly shutdownTimeout: number;
  readonly contain: boolean | "shutdown";
  /** ms */
  readonly stallThreshold: number;
  /** bytes, or undefined for no heap watch */
  readonly maxHeap: number | undefined;
  readonly cluster: ClusterOptions;
  /** Per-daemon log files, or undefined for none. */
  readonly logFiles: LogFilesOptions | undefined;
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
