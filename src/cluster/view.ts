/**
 * The cluster's read view (DESIGN.md §8, §9): every node with its state, what it runs (its daemon
 * records) and what it holds (its unexpired leases), from the store alone, so any node's API, and
 * the CLI without a running manager, answer for the whole cluster. A lost node's daemons show
 * `lost`: their records stopped being written when the node died, whatever they last said.
 */
import type { ClusterNodeState } from "../store/cluster-types.js";
import type { Store } from "../store/types.js";

export interface ClusterNodeView {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  url: string | null;
  /** `live`, `lost` (heartbeat older than `nodeTtl`), or `stopped` (left cleanly). */
  state: ClusterNodeState;
  startedAt: number;
  lastHeartbeatAt: number | null;
  /** Its daemons that are not stopped, with their state (`lost` on a lost node). */
  runs: Array<{ name: string; state: string }>;
  /** The cluster leases it holds now, with their fencing tokens. */
  holds: Array<{ name: string; token: number; expiresAt: number }>;
}

/** Every node of the cluster as of `now`, oldest start first. */
export async function clusterView(
  store: Pick<Store, "cluster" | "loadDaemons">,
  now: number,
  nodeTtl: number,
): Promise<ClusterNodeView[]> {
  const [nodes, records, leases] = await Promise.all([
    store.cluster.listNodes(now, nodeTtl),
    store.loadDaemons(),
    store.cluster.listLeases(),
  ]);
  return nodes.map((n) => ({
    id: n.id,
    host: n.host,
    pid: n.pid,
    profile: n.profile,
    url: n.url,
    state: n.state,
    startedAt: n.startedAt,
    lastHeartbeatAt: n.lastHeartbeatAt,
    runs: records
      .filter((r) => r.node === n.id && r.state !== "stopped")
      .map((r) => ({ name: r.name, state: n.state === "live" ? r.state : "lost" })),
    holds: leases
      .filter((l) => l.holder === n.id && l.expiresAt > now && n.state === "live")
      .map((l) => ({ name: l.name, token: l.token, expiresAt: l.expiresAt })),
  }));
}
