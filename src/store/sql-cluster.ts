/**
 * The cluster half of the SQL store (`Store.cluster`, DESIGN.md §8), assembled from its concerns:
 * node rows (sql-cluster-nodes.ts), leases with fencing tokens and the fenced cursor of cluster
 * subscribers (sql-cluster-leases.ts), over what they share (sql-cluster-rows.ts). Each write is
 * one conditional statement.
 */
import type { ClusterStore } from "./cluster-types.js";
import { sqlClusterLeaseMethods } from "./sql-cluster-leases.js";
import { sqlClusterNodeMethods } from "./sql-cluster-nodes.js";
import { clusterRun } from "./sql-cluster-rows.js";
import type { SqlOp } from "./sql-rows.js";

export {
  type ClusterDatabase,
  NODE_CURSOR_SEPARATOR,
  nodeState,
} from "./sql-cluster-rows.js";

/**
 * The cluster methods on SQLite and PostgreSQL, one Kysely code path (`op` runs a statement on
 * the store's connection and tracks its health). Every lease write is a single statement, so two
 * processes racing for a lease are arbitrated by the database's row lock alone.
 */
export function sqlClusterMethods(op: SqlOp): ClusterStore {
  const run = clusterRun(op);
  return { ...sqlClusterNodeMethods(run), ...sqlClusterLeaseMethods(run) };
}
