import "./events.js";
import {
  type DaemonSpec,
  defineConfig,
  type RingmasterConfig,
  type RingmasterConfigInput,
} from "ringmaster";
import { clusterDaemons } from "./daemons/cluster.js";
import { coreDaemons } from "./daemons/core.js";
import { diskDaemons } from "./daemons/disk.js";
import { evaluationDaemons } from "./daemons/evaluation.js";
import type { FleetOptions } from "./daemons/options.js";
import { pipelineDaemons } from "./daemons/pipeline.js";
import { queueDaemons } from "./daemons/queue.js";
import { selfplayWorkerDaemons } from "./daemons/selfplay-worker.js";
import { trainingJobs } from "./jobs.js";
import type { Random } from "./random.js";

/**
 * The production start order of the seeds' table (seeds/003, positions 1–21), with the daemons the
 * table names only as dependencies inserted where their dependents need them (selfplay_coordinator
 * before queue_populator, auto_export before training_trigger) and the profiles' extra daemons at
 * the end. `startup: "sequential"` follows it; the default parallel start-up needs only the
 * dependencies, and `validateConfig` checks that this order agrees with them.
 */
export const STARTUP_ORDER = [
  "event_router",
  "daemon_watchdog",
  "data_pipeline",
  "feedback_loop",
  "auto_sync",
  "selfplay_coordinator",
  "selfplay_worker",
  "queue_populator",
  "work_queue_monitor",
  "coordinator_health_monitor",
  "idle_resource",
  "auto_export",
  "training_trigger",
  "cluster_monitor",
  "node_health_monitor",
  "health_server",
  "cluster_watchdog",
  "node_recovery",
  "quality_monitor",
  "distillation",
  "evaluation",
  "unified_promotion",
  "auto_promotion",
  "model_distribution",
  "training_node_watcher",
  "disk_space_manager",
  "coordinator_disk_manager",
] as const;

export type DaemonName = (typeof STARTUP_ORDER)[number];

/**
 * Node roles. coordinator, training_node and selfplay are the seeds' lists (seeds/004) plus the
 * dependencies they lacked (the coordinator's model_distribution needs auto_promotion);
 * ephemeral is a short-lived self-play box that syncs its games (seeds/002); full runs
 * everything, minimal only the event router.
 */
export const PROFILES: Record<string, readonly DaemonName[]> = {
  coordinator: [
    "event_router",
    "data_pipeline",
    "feedback_loop",
    "auto_sync",
    "evaluation",
    "auto_promotion",
    "model_distribution",
    "coordinator_disk_manager",
  ],
  training_node: ["event_router", "training_node_watcher", "disk_space_manager"],
  selfplay: ["event_router", "idle_resource", "disk_space_manager"],
  ephemeral: [
    "event_router",
    "selfplay_coordinator",
    "data_pipeline",
    "feedback_loop",
    "auto_sync",
    "disk_space_manager",
  ],
  full: STARTUP_ORDER,
  minimal: ["event_router"],
};

export interface TrainingPipelineOptions extends Partial<Omit<RingmasterConfigInput, "daemons">> {
  /** Where simulated outcomes come from; default `Math.random`. */
  random?: Random;
}

/** Fresh specs for all 27 daemons, in start order. Each call gives new daemons with new state. */
export function trainingPipelineDaemons(options: FleetOptions): DaemonSpec[] {
  const all = [
    ...coreDaemons(),
    ...pipelineDaemons(options),
    ...queueDaemons(),
    ...clusterDaemons(options),
    ...evaluationDaemons(options),
    ...diskDaemons(options),
    ...selfplayWorkerDaemons(),
  ];
  const byName = new Map(all.map((d) => [d.name, d]));
  return STARTUP_ORDER.map((name) => {
    const spec = byName.get(name);
    if (!spec) throw new Error(`training pipeline: no daemon named ${name}`);
    return spec;
  });
}

/**
 * The whole fleet as a config. `ringmaster.config.ts` uses it with its defaults; tests pass a
 * seeded `random`, `store: "memory:"` and `http: false`.
 */
export function trainingPipelineConfig(options: TrainingPipelineOptions = {}): RingmasterConfig {
  const { random = Math.random, ...rest } = options;
  return defineConfig({
    envPrefix: "RINGMASTER",
    daemons: trainingPipelineDaemons({ random }),
    jobs: trainingJobs(),
    profiles: PROFILES,
    startupOrder: [...STARTUP_ORDER],
    store: "sqlite:.ringmaster/state.db",
    http: { host: "127.0.0.1", port: 8790 },
    ...rest,
  });
}
