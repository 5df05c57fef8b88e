/**
 * What the SQL cluster methods share: the tables as migration 0004 leaves them, the runner typed
 * for them, node rows ↔ records and the one formula for a node's state (the memory store uses it
 * too), and how per-node cursors are keyed.
 */
import type { Kysely } from "kysely";
import type { ClusterNode, ClusterNodeRow } from "./cluster-types.js";
import { fromJson } from "./json.js";
import type { Database } from "./schema.js";
import { num, numOrNull, type SqlOp } from "./sql-rows.js";

/** The tables as migration 0004 leaves them. */
export type ClusterDatabase = Omit<Database, "nodes"> & {
  nodes: Database["nodes"] & {
    instance: string | null;
    stopped_at: number | null;
    candidates: string | null;
  };
};

/** The store's `op`, typed for the cluster tables. */
export type ClusterRun = <T>(fn: (db: Kysely<ClusterDatabase>) => Promise<T>) => Promise<T>;

export const clusterRun =
  (op: SqlOp): ClusterRun =>
  (fn) =>
    op((db) => fn(db as unknown as Kysely<ClusterDatabase>));

/** Per-node cursors are `subscriber_cursors` rows keyed `<subscriber>@<node>`. */
export const NODE_CURSOR_SEPARATOR = "@";

export function nodeFromRow(r: ClusterDatabase["nodes"]): ClusterNodeRow {
  return {
    id: r.id,
    host: r.host,
    pid: num(r.pid),
    profile: r.profile,
    url: r.url ?? null,
    instance: r.instance ?? "",
    candidates: (fromJson(r.candidates) as string[] | null) ?? [],
    startedAt: num(r.started_at),
    lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
    stoppedAt: numOrNull(r.stopped_at),
  };
}

/** A node's state from its row: the one formula every view uses. */
export function nodeState(row: ClusterNodeRow, now: number, nodeTtl: number): ClusterNode["state"] {
  if (row.stoppedAt !== null) return "stopped";
  const beat = row.lastHeartbeatAt ?? row.startedAt;
  return now - beat < nodeTtl ? "live" : "lost";
}
