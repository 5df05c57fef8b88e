// The one public entry of ringmaster: explicit re-exports only.

export { findConfigFile, loadConfigFile } from "./config/load.js";
export type {
  ConfigSource,
  ManagerSettings,
  ResolvedConfig,
  ResolvedDaemon,
} from "./config/resolve.js";
export { envVarName, resolveConfig } from "./config/resolve.js";
export { createEventBus } from "./events/bus.js";
export type { BusStats, DeadLetter, EventBus } from "./events/types.js";
export type { ClientOptions, RingmasterClient, StreamMessage } from "./http/client.js";
export { ApiError, createClient, ManagerUnreachableError } from "./http/client.js";
export { formatStatusLine } from "./http/format.js";
export type { Clock, ManualClock } from "./internal/clock.js";
export { createManualClock, systemClock } from "./internal/clock.js";
export type {
  JobListFilter,
  JobService,
  JobServiceOptions,
  JobStats,
  JobUpdate,
} from "./jobs/index.js";
export {
  createJobService,
  JOB_SERVICE_DEFAULTS,
  JobCancelledError,
  JobPayloadError,
  JobTimeoutError,
  UnknownJobTypeError,
} from "./jobs/index.js";
export { createManager } from "./manager/create-manager.js";
export type { AdaptServiceOptions } from "./registry/adapt-service.js";
export type {
  CommandHealthCheck,
  CommandReadiness,
  CommandSpec,
  Size,
} from "./registry/command-options.js";
export {
  DAEMON_DEFAULTS,
  EVENT_BUS_DEFAULTS,
  JOB_DEFAULTS,
  MANAGER_DEFAULTS,
  RESTART_DEFAULTS,
} from "./registry/defaults.js";
export type { JobOptions } from "./registry/define.js";
export { adaptService, defineConfig, defineDaemon, defineJob } from "./registry/define.js";
export { formatDuration, HOUR, MINUTE, parseDuration, SECOND } from "./registry/duration.js";
export {
  ConfigError,
  DoNotRestart,
  StateConflictError,
  UnknownDaemonError,
} from "./registry/errors.js";
export type { DependencyGraph } from "./registry/graph.js";
export { createGraph } from "./registry/graph.js";
export type { DeprecatedDaemon, RegistryHealth } from "./registry/queries.js";
export {
  categories,
  daemonsByCategory,
  deprecatedDaemons,
  registryHealth,
} from "./registry/queries.js";
export { REDACTED, redactConfig, SECRET_KEY_PATTERN, secret } from "./registry/secret.js";
export type {
  DaemonContext,
  DaemonEvents,
  DaemonHooks,
  DaemonJobs,
  DaemonLease,
  DaemonLogger,
  DaemonOptions,
  DaemonSpec,
  DaemonStats,
  Duration,
  EventEnvelope,
  EventHandler,
  EventName,
  EventPayload,
  EventRetention,
  EventRetentionInput,
  Events,
  HealthReport,
  HealthResult,
  HealthStatus,
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
  LogFilesInput,
  LogFilesOptions,
  LogLevel,
  MonitorOptions,
  NodeInfo,
  RestartPolicy,
  RingmasterConfig,
  RingmasterConfigInput,
  StoreOptionsInput,
  ValidationProblem,
  ValidationResult,
} from "./registry/types.js";
export { validateConfig } from "./registry/validate.js";
export { createStore, StoreError, StoreUnavailableError } from "./store/index.js";
export type { Store, StoreHealth } from "./store/types.js";
export { restartDelay } from "./supervisor/backoff.js";
export type { LogEntry, LogQuery } from "./supervisor/log-ring.js";
export { IllegalTransitionError, TRANSITIONS } from "./supervisor/state.js";
export type {
  DaemonState,
  DaemonStatus,
  Manager,
  ManagerEvents,
  ManagerOptions,
  ProbeReport,
  ProbeStoreReport,
  ShutdownReport,
  StartOptions,
  StartReport,
  StateChange,
} from "./supervisor/types.js";
export { DAEMON_STATES } from "./supervisor/types.js";
