/**
 * Nodes and daemon records: which manager processes share the store, and what each last knew
 * about each of its daemons (DESIGN.md §6, §8). Declared here, part of the `Store`.
 */

/** One manager process (DESIGN.md §8). Times are ms since the epoch. */
export interface NodeRecord {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  startedAt: number;
  lastHeartbeatAt: number | null;
  /** The node's HTTP server, if it runs one (how the CLI finds a running manager). */
  url?: string | null;
}

/** What one node last knew about one daemon: the seeds' "daemon record". */
export interface DaemonRecord {
  name: string;
  /** The node that runs (or ran) it. */
  node: string;
  /** The supervisor's state name (`running`, `failed`, …). */
  state: string;
  enabled: boolean;
  autoStart: boolean;
  restartCount: number;
  lastError: string | null;
  startedAt: number | null;
  lastHeartbeatAt: number | null;
  heartbeatDetails: Record<string, unknown> | null;
  /** A record older than the stored one (by `updatedAt`) does not overwrite it. */
  updatedAt: number;
}

/** A daemon's heartbeat on its record, without the rest of the record. */
export interface DaemonHeartbeat {
  node: string;
  name: string;
  at: number;
  details: Record<string, unknown> | null;
}

/**
 * The nodes and daemon records part of the `Store`. The hot writes (heartbeats, records while
 * a daemon runs) usually go through `Store.writes` instead, which lands here batched.
 */
export interface NodeMethods {
  /** Inserts the node or replaces every field of the stored one. */
  upsertNode(node: NodeRecord): Promise<void>;
  /** Moves the node's heartbeat forward to `at`; an older `at` changes nothing. */
  heartbeatNode(id: string, at: number): Promise<void>;
  /** Oldest-started first. */
  listNodes(): Promise<NodeRecord[]>;

  /**
   * Upserts by (node, name); a record older than the stored one is ignored. A stored heartbeat
   * newer than the record's (`lastHeartbeatAt`, when it has one) is kept with its details.
   */
  saveDaemons(records: readonly DaemonRecord[]): Promise<void>;
  /**
   * Sets only `lastHeartbeatAt` and `heartbeatDetails` of stored records (`Store.writes.daemonHeartbeat`
   * batched): one whose stored heartbeat is newer, or with no stored record, is left alone.
   */
  saveDaemonHeartbeats(heartbeats: readonly DaemonHeartbeat[]): Promise<void>;
  /** One node's records, or every node's; by node, then name. */
  loadDaemons(node?: string): Promise<DaemonRecord[]>;
}
