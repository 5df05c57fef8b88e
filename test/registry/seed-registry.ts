import { defineDaemon } from "../../src/registry/define.js";
import type { DaemonOptions, DaemonSpec } from "../../src/registry/types.js";

/**
 * The seeds' 21-daemon startup table (seeds/003), positions 1..21, with the dependencies the
 * table lists. Two daemons it names only as dependencies (selfplay_coordinator, auto_export) are
 * declared after the table so every dependency is known.
 */
export const SEED_TABLE: ReadonlyArray<[name: string, dependsOn: string[], category: string]> = [
  ["event_router", [], "event"],
  ["daemon_watchdog", ["event_router"], "health"],
  ["data_pipeline", ["event_router"], "pipeline"],
  ["feedback_loop", ["event_router"], "feedback"],
  ["auto_sync", ["event_router", "data_pipeline", "feedback_loop"], "sync"],
  ["queue_populator", ["event_router", "selfplay_coordinator"], "queue"],
  ["work_queue_monitor", ["event_router", "queue_populator"], "queue"],
  ["coordinator_health_monitor", ["event_router"], "health"],
  ["idle_resource", ["event_router"], "resource"],
  ["training_trigger", ["event_router", "auto_export"], "pipeline"],
  ["cluster_monitor", ["event_router"], "health"],
  ["node_health_monitor", ["event_router"], "health"],
  ["health_server", ["event_router"], "health"],
  ["cluster_watchdog", ["event_router", "cluster_monitor"], "health"],
  ["node_recovery", ["event_router"], "resource"],
  ["quality_monitor", ["event_router"], "evaluation"],
  ["distillation", ["event_router"], "evaluation"],
  ["evaluation", ["event_router"], "evaluation"],
  ["unified_promotion", ["event_router"], "evaluation"],
  ["auto_promotion", ["event_router", "evaluation"], "evaluation"],
  ["model_distribution", ["event_router", "evaluation", "auto_promotion"], "distribution"],
];

export const SEED_EXTRA: ReadonlyArray<[string, string[], string]> = [
  ["selfplay_coordinator", ["event_router"], "pipeline"],
  ["auto_export", ["event_router"], "pipeline"],
];

/** The table order: positions 1..21 of DAEMON_STARTUP_ORDER. */
export const SEED_STARTUP_ORDER = SEED_TABLE.map(([name]) => name);

/** Specs for the table plus extras; `change` adjusts the options of named daemons. */
export function seedRegistry(change: Record<string, Partial<DaemonOptions>> = {}): DaemonSpec[] {
  return [...SEED_TABLE, ...SEED_EXTRA].map(([name, dependsOn, category]) =>
    defineDaemon({ name, dependsOn, category, ...change[name] }),
  );
}
