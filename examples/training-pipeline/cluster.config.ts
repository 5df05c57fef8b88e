/**
 * The training pipeline as a cluster: what each node process of `npm run example:cluster`
 * (cluster.ts) runs, `ringmaster start --config examples/training-pipeline/cluster.config.ts
 * --profile coordinator` on each machine. The store comes from RINGMASTER_STORE (one SQLite file
 * here, `postgres://…` across machines), the node's port from RINGMASTER_DAEMON_HEALTH_PORT.
 * TRAINING_CLUSTER_TIMINGS (JSON, ms) replaces the demo's lease timings; the tests shorten them.
 */
import { CLUSTER_TIMINGS, trainingClusterConfig } from "./cluster-fleet.js";

const timings = process.env.TRAINING_CLUSTER_TIMINGS;

export default trainingClusterConfig({
  cluster: timings ? (JSON.parse(timings) as typeof CLUSTER_TIMINGS) : CLUSTER_TIMINGS,
});
