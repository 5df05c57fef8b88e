import type { DaemonSpec, RingmasterConfig, RingmasterConfigInput } from "ringmaster";
import {
  type DaemonName,
  PROFILES,
  type TrainingPipelineOptions,
  trainingPipelineConfig,
} from "./fleet.js";

/**
 * The daemons the cluster example declares `scope: "cluster"`: the work the seeds' fleet needs
 * once per cluster, not once per machine — one self-play coordinator handing out games, one
 * cluster monitor polling the nodes, one node recovery, one quality monitor, one distillation
 * schedule, one promotion ledger. Each depends only on `event_router`, which every node runs.
 */
export const CLUSTER_SCOPED: readonly DaemonName[] = [
  "selfplay_coordinator",
  "cluster_monitor",
  "node_recovery",
  "quality_monitor",
  "distillation",
  "unified_promotion",
];

/** The three node roles of the example, each on its own HTTP port (its dashboard). */
export const CLUSTER_NODES = [
  { profile: "coordinator", port: 8790 },
  { profile: "training_node", port: 8791 },
  { profile: "selfplay", port: 8792 },
] as const;

/** Short enough to watch a failover: a `kill -9`ed node's daemons move within 4 s + 1 s. */
export const CLUSTER_TIMINGS: NonNullable<RingmasterConfigInput["cluster"]> = {
  renewInterval: "1s",
  leaseTtl: "4s",
  safetyMargin: "1s",
  heartbeatInterval: "1s",
  nodeTtl: "6s",
};

/**
 * The training pipeline as a cluster (`npm run example:cluster`): the same daemons, with
 * {@link CLUSTER_SCOPED} running once in the cluster. Every node role's profile lists them, so
 * every node is a candidate and placement spreads them (6 daemons on 3 nodes: 2 each).
 */
export function trainingClusterConfig(options: TrainingPipelineOptions = {}): RingmasterConfig {
  const base = trainingPipelineConfig({ cluster: CLUSTER_TIMINGS, ...options });
  const scoped = new Set<string>(CLUSTER_SCOPED);
  const daemons = base.daemons.map(
    (spec): DaemonSpec =>
      scoped.has(spec.name) ? Object.freeze({ ...spec, scope: "cluster" as const }) : spec,
  );
  const profiles: Record<string, readonly string[]> = { ...PROFILES };
  for (const { profile } of CLUSTER_NODES) {
    profiles[profile] = [...new Set([...(PROFILES[profile] ?? []), ...CLUSTER_SCOPED])];
  }
  return Object.freeze({
    ...base,
    daemons: Object.freeze(daemons),
    profiles: Object.freeze(profiles),
  });
}
