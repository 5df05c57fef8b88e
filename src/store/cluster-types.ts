/**
 * The store's cluster half (DESIGN.md §8): membership rows, leases with fencing tokens, and the
 * fenced cursor of cluster subscribers. Times are ms since the epoch, supplied by the caller's
 * clock; nodes that share a store must keep their clocks within the lease safety margin.
 */

/** A node as it registers itself. */
export interface ClusterNodeInfo {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  url: string | null;
  /** Random per process: tells two processes claiming one node id apart. */
  instance: string;
  /** The `scope: "cluster"` daemons this node may run (its profile's); placement reads them. */
  candidates: readonly string[];
}

/** A node row as stored. */
export interface ClusterNodeRow extends ClusterNodeInfo {
  startedAt: number;
  lastHeartbeatAt: number | null;
  /** When it left cleanly; null while it runs (or after it died without leaving). */
  stoppedAt: number | null;
}

/** `live`: heartbeat within `nodeTtl`; `lost`: older, without a clean leave; `stopped`: left. */
export type ClusterNodeState = "live" | "lost" | "stopped";

export interface ClusterNode extends ClusterNodeRow {
  state: ClusterNodeState;
}

export interface ClusterLeaseRow {
  name: string;
  holder: string;
  /** The fencing token: strictly increasing per lease name across every acquisition. */
  token: number;
  /** 0 once released. */
  expiresAt: number;
  acquiredAt: number;
}

/** What a holder believes it holds: renewals only extend a lease with this exact token. */
export interface HeldLeaseRef {
  name: string;
  token: number;
}

/** The lease a cursor write is fenced by. */
export interface LeaseFence {
  name: string;
  holder: string;
  token: number;
}

export type JoinResult =
  | { joined: true; row: ClusterNodeRow }
  /** Another process holds the id and looks alive: `holder` is its row. */
  | { joined: false; holder: ClusterNodeRow };

/**
 * Every method is one statement (one round trip) unless it says otherwise, and rejects when the
 * database fails.
 */
export interface ClusterStore {
  /**
   * Inserts or takes over the row of `node.id` when it is free: no row, a clean leave, a heartbeat
   * older than `nodeTtl`, the same `instance`, or the instance named by `replace` (a process the
   * caller found dead). Otherwise refuses with the live row.
   */
  joinNode(
    node: ClusterNodeInfo,
    options: { now: number; nodeTtl: number; replace?: string },
  ): Promise<JoinResult>;
  /** Moves the heartbeat forward; false if the row is gone or owned by another instance. */
  heartbeatNode(id: string, instance: string, now: number): Promise<boolean>;
  /** Updates what a node runs from (its URL once the HTTP server listens). */
  setNodeUrl(id: string, instance: string, url: string | null): Promise<void>;
  /**
   * Updates the cluster daemons a node may run (an operator started or stopped one outside its
   * profile): placement on every node reads them from the row.
   */
  setNodeCandidates(id: string, instance: string, candidates: readonly string[]): Promise<void>;
  /** Marks a clean leave; the row stays (`stopped`) until pruned. */
  leaveNode(id: string, instance: string, now: number): Promise<void>;
  /** Every node, oldest start first, with its state as of `now`. */
  listNodes(now: number, nodeTtl: number): Promise<ClusterNode[]>;
  /**
   * Removes nodes whose last heartbeat (or leave) is before `before`, with their daemon records
   * and per-node cursors; returns how many nodes. One transaction.
   */
  pruneNodes(before: number): Promise<number>;

  /**
   * Inserts lease `name` for `holder` until `now + ttlMs`, or takes over a row whose lease expired
   * (or was released) by `now`, incrementing its token: one statement. Returns the new token, or
   * null while anyone, `holder` included, holds it unexpired.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<number | null>;
  /**
   * Extends, in one statement, every lease in `leases` that `holder` still holds with that token
   * and that has not expired by `now`, to `now + ttlMs`. Returns the ones extended; a lease
   * missing from the answer is lost.
   */
  renewLeases(
    holder: string,
    leases: readonly HeldLeaseRef[],
    ttlMs: number,
    now: number,
  ): Promise<HeldLeaseRef[]>;
  /** Gives a lease up at once (expiry 0); false if `holder` no longer holds it with `token`. */
  releaseLease(name: string, holder: string, token: number): Promise<boolean>;
  /** Releases every lease `holder` holds (a restarted node's leftovers); returns how many. */
  releaseHolder(holder: string): Promise<number>;
  listLeases(): Promise<ClusterLeaseRow[]>;

  /**
   * Moves `subscriber`'s cursor forward to `seq` only while `fence` is the unexpired lease at
   * `now`: the one cursor of a cluster daemon's subscriber, moved by its holder alone. False when
   * fenced off (or `seq` is not ahead).
   */
  setFencedCursor(
    subscriber: string,
    seq: number,
    fence: LeaseFence,
    now: number,
  ): Promise<boolean>;
}
