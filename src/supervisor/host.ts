/** What a daemon supervisor needs from its manager (the manager's side of `DaemonSupervisor`). */
import type { EventBus } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import type { DaemonJobs, DaemonLease, DaemonLogger, NodeInfo } from "../registry/types.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { DaemonState, ManagerEvents } from "./types.js";

/** What a daemon supervisor needs from its manager. */
export interface SupervisorHost {
  clock: Clock;
  bus: EventBus;
  node: NodeInfo;
  /** The daemon's `ctx.jobs`. */
  jobsFor(name: string): DaemonJobs;
  /** The daemon's `ctx.lease`: the cluster lease this node holds for it, if any. */
  leaseFor?(name: string): DaemonLease | undefined;
  /** The daemon's `ctx.log` (created on first use). */
  createLog(name: string): DaemonLogger;
  emit<K extends keyof ManagerEvents>(event: K, payload: ManagerEvents[K]): void;
  /**
   * How many listen to each event, absent or 0 for none (to skip building payloads nobody
   * reads): a count to read on every cycle, not a function to call, which was one more call to
   * inline into the cycle's code.
   */
  readonly listening: Readonly<Partial<Record<keyof ManagerEvents, number>>>;
  /** ms: the manager's `stallThreshold` (for messages). */
  readonly stallThreshold?: number;
  /** Called after every state change. */
  onState(daemon: DaemonSupervisor, from: DaemonState, to: DaemonState): void;
  /**
   * Called when the daemon's heartbeat moved (`ctx.heartbeat()`, a finished cycle): the manager
   * writes it through to the daemon record, throttled. Absent: kept in memory only.
   */
  onHeartbeat?(daemon: DaemonSupervisor): void;
  /** ms: how often a cycle's heartbeat is handed to `onHeartbeat` at most (default: every cycle). */
  readonly heartbeatWriteInterval?: number;
  /** Called when a backoff delay has elapsed: the manager starts it again or makes it wait. */
  onBackoffElapsed(daemon: DaemonSupervisor): void;
  /** What command daemons need to run their programs (DESIGN.md §11); absent: none can run. */
  programs?: CommandHost | undefined;
}
