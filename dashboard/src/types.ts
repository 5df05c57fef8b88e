/**
 * The shapes the dashboard reads from the manager's HTTP API (DESIGN.md §9). The daemon, health
 * and probe types are the server's own (type-only imports, erased from the bundle); the rest are
 * the JSON views the API answers with.
 */

export type {
  HealthReport,
  HealthStatus,
  LogLevel,
  RestartPolicy,
} from "../../src/registry/types.js";

/** A job action as the API answers it. */
export type JobAction = JobActionRecord;
/** A job as the API answers it, with its actions on `GET /api/jobs/:id`. */
export type JobRecord = SpecJobRecord & { actions?: JobAction[] };
export type {
  DaemonState,
  DaemonStatus,
  ProbeReport,
  StateChange,
} from "../../src/supervisor/types.js";

import type {
  HealthStatus,
  JobActionRecord,
  LogLevel,
  RestartPolicy,
  JobRecord as SpecJobRecord,
} from "../../src/registry/types.js";
import type { DaemonState, DaemonStatus, StateChange } from "../../src/supervisor/types.js";

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
    /** Saved overrides (the store layer). */
    pending: Record<string, unknown>;
    /** The values the next start uses, and the keys where they differ from `values` (running). */
    next?: Record<string, unknown>;
    changes?: Record<string, { running: unknown; next: unknown }>;
  };
  transitions: StateChange[];
}

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

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** `GET /api/history`: the server's own type. */
export type { HistoryView } from "../../src/http/history.js";
