/**
 * A node's id, stable across restarts so its cursors and records resume (DESIGN.md §8): the id
 * given to `createManager(config, { node: { id } })`, else `${PREFIX}_NODE_ID` (read by the
 * config layer and passed in), else `<host>/<profile>` (`<host>/all` without a profile).
 */
export function resolveNodeId(options: {
  explicit?: string | undefined;
  fromEnv?: string | undefined;
  host: string;
  profile?: string | null | undefined;
}): string {
  const chosen = options.explicit?.trim() || options.fromEnv?.trim();
  if (chosen) return chosen;
  return `${options.host}/${options.profile ?? "all"}`;
}

/** Thrown at start when another live process already runs as this node id. */
export class NodeIdTakenError extends Error {
  override name = "NodeIdTakenError";
  constructor(
    readonly nodeId: string,
    readonly holder: { host: string; pid: number; lastHeartbeatAt: number | null },
    now: number,
  ) {
    const age =
      holder.lastHeartbeatAt === null
        ? "no heartbeat yet"
        : `last heartbeat ${Math.max(0, Math.round((now - holder.lastHeartbeatAt) / 1000))} s ago`;
    super(
      `node id "${nodeId}" is already live (pid ${holder.pid} on ${holder.host}, ${age}): stop that process or give this node another id (createManager(config, { node: { id } }) or <PREFIX>_NODE_ID)`,
    );
  }
}
