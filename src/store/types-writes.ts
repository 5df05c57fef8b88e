/**
 * The store's buffered write path and the health it reports: what `Store.writes` and
 * `Store.health` return.
 */
import type { LogRow } from "./types-logs.js";
import type { DaemonRecord } from "./types-nodes.js";

export interface StoreHealth {
  /** Open, and every recent write reached the database. */
  ok: boolean;
  /** The database was unreachable on the last attempt: writes are being buffered and retried. */
  degraded: boolean;
  message: string;
  /** Rows waiting in the write buffers. */
  buffered: number;
  /** Rows dropped since open because a buffer was full (or the database refused them). */
  dropped: number;
}

/**
 * Non-blocking writes, batched and retried: for the hot paths (logs, daemon records, heartbeats).
 * None of these blocks or throws. While the database is unreachable rows are kept up to a bound
 * (the oldest beyond it are dropped and counted in {@link StoreHealth.dropped}), the store reports
 * itself degraded, and everything is written once it is back.
 */
export interface StoreWrites {
  log(row: LogRow): void;
  /** Coalesced by (node, name): only the latest record of a daemon waits in the buffer. */
  daemon(record: DaemonRecord): void;
  /** Coalesced by node. */
  nodeHeartbeat(id: string, at: number): void;
  /** Writes everything buffered now; rejects (keeping the rows) if the database is unreachable. */
  flush(): Promise<void>;
}
