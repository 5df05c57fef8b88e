/**
 * The shapes the dashboard reads from the manager's HTTP API (DESIGN.md §9). They mirror
 * src/supervisor/types.ts, src/http/client.ts and src/spec/types.ts; the page is built on its
 * own (DOM lib, no Node), so it keeps this copy instead of importing the server's modules.
 */

export type DaemonState =
  | "stopped"
  | "waiting"
  | "starting"
  | "running"
  | "paused"
  | "stopping"
  | "backoff"
  | "failed";

export const DAEMON_STATES: readonly DaemonState[] = [
  "running",
  "paused",
  "starting",
  "waiting",
  "backoff",
  "stopping",
  "stopped",
  "failed",
];

export type HealthStatus = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface HealthReport {
  status: HealthStatus;
  message: string;
  details: Record<string, unknown>;
  checkedAt: number | null;
  source: "hook" | "derived";
}

export interface DaemonStatus {
  name: string;
  description: string;
  category: string;
  state: DaemonState;
  ready: boolean;
  requested: boolean;
  pulledInBy: string[];
  waitingOn: string[];
  health: HealthReport;
  restarts: number;
  restartAttempt: number;
  maxRestarts: number;
  lastError: string | null;
  lastErrorAt: number | null;
  startedAt: number | null;
  stoppedAt: number | null;
  nextRestartAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeat: Record<string, unknown> | null;
  cycles: number;
  cycleErrors: number;
  consecutiveErrors: number;
  lastCycleAt: number | null;
  lastCycleDurationMs: number | null;
  dependsOn: string[];
  dependents: string[];
  subscribes: string[];
  emits: string[];
  critical: boolean;
  enabled: boolean;
  autoStart: boolean;
  deprecated: string | null;
  schedule: { interval: number | null; cron: string | null };
}

export interface StateChange {
  name: string;
  from: DaemonState;
  to: DaemonState;
  at: number;
  reason?: string;
}

export interface RestartPolicy {
  policy: string;
  maxRestarts: number;
  initialDelay: number;
  factor: number;
  maxDelay: number;
  jitter: number;
  resetAfter: number;
}

/** `GET /api/daemons/:name`. */
export interface DaemonDetail extends DaemonStatus {
  options: {
    readiness?: string;
    readyTimeout?: number;
    stopTimeout?: number;
    cycleTimeout?: number | null;
    maxConsecutiveErrors?: number;
    healthInterval?: number;
    healthTimeout?: number;
    unhealthyThreshold?: number;
    restart?: RestartPolicy;
    scope?: string;
    hasHealthHook?: boolean;
    kind?: string;
  };
  config: {
    values: Record<string, unknown>;
    sources: Record<string, { kind: string; detail?: string }>;
    pending: Record<string, unknown>;
  };
  transitions: StateChange[];
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** `GET /api/daemons/:name/logs`. */
export interface LogEntry {
  id?: number;
  at: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

/** A `log` entry of the stream. */
export interface StreamLog {
  name: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  at: number;
}

export interface EventEnvelope {
  id: string;
  type: string;
  payload: unknown;
  source: string;
  time: number;
  seq: number;
}

export interface DeadLetter {
  id: string;
  event: EventEnvelope;
  subscriber: string;
  reason: string;
  error: string;
  attempts: number;
  at: number;
}

export type JobStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

export interface JobAction {
  id: number;
  jobId: string;
  daemon: string;
  action: "launched" | "monitored" | "cancelled";
  reason: string | null;
  at: number;
  node: string | null;
}

export interface JobRecord {
  id: string;
  type: string;
  status: JobStatus;
  payload: unknown;
  result: unknown;
  error: string | null;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  progress: number;
  progressMessage: string | null;
  launchedBy: string | null;
  reason: string | null;
  lockedBy: string | null;
  cancelRequested: boolean;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  actions?: JobAction[];
}

/** A `job` entry of the stream. */
export interface JobUpdate {
  id: string;
  type: string;
  status: JobStatus;
  progress: number;
  message?: string;
  attempt: number;
  error?: string;
  at: number;
}

export interface GraphNode {
  name: string;
  category: string;
  state: DaemonState;
  health: HealthStatus;
  critical: boolean;
  enabled: boolean;
  level: number | null;
  dependsOn: string[];
}

/** `GET /api/graph`. `edges` go from a daemon to a dependency. */
export interface GraphData {
  nodes: GraphNode[];
  edges: Array<{ from: string; to: string; kind: string }>;
  eventEdges: Array<{ from: string; to: string; type: string }>;
  levels: string[][];
  cycles: string[][];
}

export interface ProbeReport {
  ok: boolean;
  reasons: string[];
  warnings?: string[];
}

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}
