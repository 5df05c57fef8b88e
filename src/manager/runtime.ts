import type { Logger } from "pino";
import type { ClusterTimings } from "../cluster/defaults.js";
import type { DurableDelivery } from "../events/durable.js";
import type { EventBus } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import type { Reaper } from "../isolation/reaper.js";
import type { JobService } from "../jobs/index.js";
import type { NodeInfo, RingmasterConfig } from "../registry/types.js";
import type { LogRing } from "../supervisor/log-ring.js";
import type { SupervisionTree } from "../supervisor/tree.js";
import type { ManagerEvents } from "../supervisor/types.js";
import type { ClusterRuntime } from "./cluster.js";
import type { ConfigLayers } from "./config-layers.js";
import type { ContainmentCounts } from "./containment-part.js";
import type { LogFiles } from "./log-files.js";
import type { Persistence } from "./persistence.js";

/**
 * What the parts of one manager share. Built once by the composition root; the parts fill in
 * what they open (`persistence`, `jobs`, `http`) when they start and nobody else writes them.
 */
export interface Runtime {
  readonly config: RingmasterConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly node: NodeInfo;
  /** This node's id for a profile: the option, `${PREFIX}_NODE_ID`, or `<host>/<profile>`. */
  nodeIdFor(profile: string | null): string;
  /** The store URL in use (the option, else the resolved setting). */
  readonly storeUrl: string;
  readonly layers: ConfigLayers;
  readonly bus: EventBus;
  /** Durable delivery of declared subscribers, with a persistent store only. */
  readonly durable: DurableDelivery | undefined;
  readonly tree: SupervisionTree;
  readonly logRing: LogRing;
  /** Per-daemon log files, when the config asks for them (`logFiles`). */
  readonly logFiles: LogFiles | undefined;
  /** How command daemons and jobs start programs, with the orphan reaper they report to. */
  readonly programs: CommandHost & { readonly reaper: Reaper };
  /** `config.cluster`'s timings with their defaults, checked (DESIGN.md §8). */
  readonly clusterTimings: ClusterTimings;
  /** ms: how often a daemon's heartbeat reaches its record at most, for this fleet's size. */
  readonly heartbeatWriteInterval: number;
  /** The daemons `start()` selected (canonical names); set before the parts start. */
  selection: readonly string[];
  emit<K extends keyof ManagerEvents>(event: K, payload: ManagerEvents[K]): void;
  /** Set by the store part. */
  persistence: Persistence | undefined;
  /** Set by the cluster part, when this node may run cluster daemons. */
  cluster: ClusterRuntime | undefined;
  /** Set by the jobs part. */
  jobs: JobService | undefined;
  /** Set by the HTTP part. */
  http: { url: string; close(): Promise<void> } | undefined;
  /** Whether start() or a daemon start has run. */
  started: boolean;
  /** What containment saw that no daemon owned (the containment part counts). */
  readonly containment: ContainmentCounts;
}
