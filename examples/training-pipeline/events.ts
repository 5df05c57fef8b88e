/**
 * The training pipeline's event types. Declaring them here makes every `publish` and `subscribe`
 * in the fleet type-checked: a misspelt type or a wrong payload field is a compile error.
 */

/** A model's name: `model-gen<generation>`. */
export type ModelId = string;

export interface NodeReport {
  node: string;
  healthy: boolean;
  gpuUtilization: number;
}

declare module "ringmaster" {
  interface Events {
    /** selfplay_coordinator finished a batch of self-play games. */
    NEW_GAMES_AVAILABLE: { config: string; games: number; totalGames: number };
    /** auto_sync pushed games to the training store. */
    DATA_SYNC_COMPLETED: { games: number; files: number; durationMs: number };
    /** data_pipeline ingested synced games; `pendingGames` are not exported yet. */
    GAMES_INGESTED: { games: number; pendingGames: number; totalGames: number };
    /** auto_export wrote a training file once enough games were pending. */
    NPZ_EXPORT_COMPLETED: { file: string; games: number; samples: number };
    /** training_trigger started a training run once enough exported games were waiting. */
    TRAINING_STARTED: { runId: string; games: number; samples: number };
    /** The training run finished with a new model. */
    TRAINING_COMPLETED: {
      runId: string;
      model: ModelId;
      generation: number;
      loss: number;
      durationMs: number;
    };
    /** feedback_loop asks self-play to explore more for a while. */
    EXPLORATION_BOOST: { factor: number; durationMs: number; reason: string };
    /** evaluation played a gauntlet with a new model. `score` is its win rate, 0..1. */
    EVALUATION_COMPLETED: { model: ModelId; generation: number; score: number; games: number };
    /** auto_promotion made a model the champion. */
    MODEL_PROMOTED: { model: ModelId; score: number; previous: ModelId | null };
    /** model_distribution copied the champion to the nodes. */
    MODEL_DISTRIBUTED: { model: ModelId; nodes: string[]; durationMs: number };
    /** cluster_monitor's view of the nodes. */
    CLUSTER_STATUS: { nodes: NodeReport[] };
    /** cluster_watchdog saw a node go unhealthy. */
    NODE_UNHEALTHY: { node: string; reason: string };
    /** node_recovery brought a node back. */
    NODE_RECOVERED: { node: string; action: string; durationMs: number };
    /** idle_resource found GPUs doing nothing. */
    IDLE_RESOURCE_DETECTED: { node: string; idleGpus: number; utilization: number };
    /** queue_populator topped up the work queue. */
    WORK_QUEUE_UPDATED: { depth: number; added: number; target: number };
  }
}
