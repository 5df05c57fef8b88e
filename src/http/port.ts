import type { Logger } from "pino";
import type { ClusterNodeView } from "../cluster/view.js";
import type { ResolvedDaemon } from "../config/resolve.js";
import type { DeadLetter, EventBus } from "../events/types.js";
import type { DependencyGraph } from "../registry/graph.js";
import type { DaemonSpec, NodeInfo } from "../registry/types.js";
import type { LogEntry, LogQuery } from "../supervisor/log-ring.js";
import type { Manager } from "../supervisor/types.js";

/** The manager's public handle, as far as the routes use it (status, actions, probes, events). */
export type ManagerView = Pick<
  Manager,
  | "status"
  | "checkHealth"
  | "startDaemon"
  | "stopDaemon"
  | "restartDaemon"
  | "pauseDaemon"
  | "resumeDaemon"
  | "liveness"
  | "readiness"
  | "on"
  | "shutdown"
  | "url"
  | "clock"
>;

/** The event bus, as far as the routes use it: recent events, dead letters, observation. */
export type EventsView = Pick<
  EventBus,
  "recent" | "deadLetters" | "retryDeadLetter" | "on" | "stats"
>;

/** Log lines as the routes read them (the public `LogEntry` / `LogQuery` types). */
export type HttpLogQuery = LogQuery;
export type HttpLogLine = LogEntry;

/**
 * Everything the HTTP server needs from the runtime, declared here so `src/http/` depends on
 * no part of the manager: the composition root (`src/manager/http-port.ts`) implements it. Every
 * member is read when a request comes in, so it reflects the runtime at that moment.
 */
export interface HttpPort {
  /** Status, control actions (start, stop, restart, pause, resume, check health), probes. */
  readonly manager: ManagerView;
  readonly logger: Logger;
  /** Recent events, dead letters (list, retry), and their live stream. */
  readonly events: EventsView;
  /** The dependency graph (levels, edges, drawing). */
  readonly graph: DependencyGraph;
  /** Canonical name for a daemon named in any case; throws UnknownDaemonError (404) otherwise. */
  canonical(name: string): string;
  /** The daemon's current resolved config: spec, values and the layer each came from. */
  daemonConfig(name: string): ResolvedDaemon | undefined;
  /**
   * The config values the daemon runs with: those of its current run, or between runs those its
   * next start uses. `daemonConfig` is the latest resolution, which waits for the next start.
   */
  runningConfig?(name: string): Readonly<Record<string, unknown>> | undefined;
  /** Every daemon's current spec (for the graph's event edges). */
  specs(): DaemonSpec[];
  /** Recent log lines of the daemons, oldest first (from the store when there is one). */
  queryLogs(query: HttpLogQuery): Promise<HttpLogLine[]>;
  /** This node (its id, host, pid, profile). */
  node(): NodeInfo;
  /** Whether the manager has started (start() or a daemon start). */
  readonly started: boolean;
  /** Whether the manager's shutdown has begun. */
  readonly shuttingDown: boolean;
  /**
   * Saves operator overrides (null removes a key), validated as the last config layer; they apply
   * from the daemon's next start. Throws a ConfigError for bad values. Absent: kept in memory.
   */
  setOverrides?(name: string, patch: Record<string, unknown>): Promise<ResolvedDaemon>;
  /** What containment counted that no daemon owned, for `/metrics` (DESIGN.md §11). */
  containment?(): { uncaughtErrors: number; unownedStalls: number };
  /**
   * Dead letters of this process and of earlier ones kept in the store (list, oldest first;
   * retry: false when unknown). Absent: the bus's own (`events`).
   */
  deadLetters?: { list(): Promise<DeadLetter[]>; retry(id: string): Promise<boolean> };
  /** Every node of the cluster, from the store (`GET /api/nodes`); absent without a store. */
  clusterNodes?(): Promise<ClusterNodeView[]>;
  /** This node's cluster leases for `/metrics`: held ones with their tokens, and counts. */
  leases?(): LeaseStats;
  /** The store's write-buffer health for `/metrics`, once there is a store. */
  storeHealth?(): { buffered: number; dropped: number; degraded: boolean; ok: boolean } | undefined;
}

/** This node's leases as `/metrics` reads them. */
export interface LeaseStats {
  /** Every cluster daemon this node may run: held (with its token) or not. */
  daemons: Array<{ name: string; held: boolean; token: number }>;
  acquisitions: number;
  losses: number;
}
