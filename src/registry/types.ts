/**
 * The registry's vocabulary in one import: every type a daemon, a job, the config and the parts
 * of the manager share. The types live in files named for what they hold; this module re-exports
 * them so `registry/types.js` stays the one stable path to import them from.
 *
 * - `event-types.ts`: `Events`, the event envelope, `ctx.events`, bus options
 * - `job-types.ts`: job records, actions, launch options, `ctx.jobs`, job specs
 * - `context-types.ts`: the daemon context `ctx`, logger, stats, node, health results
 * - `daemon-types.ts`: daemon options, hooks, restart policy, `DaemonSpec`
 * - `config-types.ts`: `RingmasterConfig` (input and normalized), validation problems
 */
export type {
  ClusterOptions,
  ClusterOptionsInput,
  HttpOptions,
  RingmasterConfig,
  RingmasterConfigInput,
  ValidationProblem,
  ValidationResult,
  ValidationSeverity,
} from "./config-types.js";
export type {
  DaemonContext,
  DaemonLease,
  DaemonLogger,
  DaemonStats,
  HealthReport,
  HealthResult,
  HealthStatus,
  LogLevel,
  NodeInfo,
} from "./context-types.js";
export type {
  DaemonHooks,
  DaemonOptions,
  DaemonSpec,
  Duration,
  RestartPolicy,
  RestartPolicyName,
} from "./daemon-types.js";
export type {
  DaemonEvents,
  EventBusOptions,
  EventEnvelope,
  EventHandler,
  EventName,
  EventPayload,
  Events,
} from "./event-types.js";
export type {
  DaemonJobs,
  JobActionKind,
  JobActionRecord,
  JobCommand,
  JobContext,
  JobFilter,
  JobRecord,
  JobSpec,
  JobStatus,
  JobWithActions,
  LaunchOptions,
  MonitorOptions,
} from "./job-types.js";
export type { LogFilesInput, LogFilesOptions } from "./log-files.js";
export type {
  EventRetention,
  EventRetentionInput,
  StoreOptionsInput,
} from "./store-options.js";
