/**
 * The store's buffered write path and the health it reports: what `Store.writes` and
 * `Store.health` return.
 */

import type { NewJob, NewJobAction } from "./types.js";
import type { NewEvent } from "./types-events.js";
import type { LogRow } from "./types-logs.js";
import type { DaemonRecord } from "./types-nodes.js";

/** One job launch as `Store.launchJobs` takes it: the job (its id made by the caller) and its action. */
export interface NewJobLaunch {
  job: NewJob;
  action: Omit<NewJobAction, "jobId">;
}

export interface StoreHealth {
  /** Open, and every recent write reached the database. */
  ok: boolean;
  /** The database was unreachable on the last attempt: writes are being buffered and retried. */
  degraded: boolean;
  /** While degraded: since when (the store clock's ms), as first seen by a write; else null. */
  degradedSince: number | null;
  message: string;
  /** Rows waiting in the write buffers (memory and spool). */
  buffered: number;
  /** Rows dropped since open because a buffer was full (or the database refused them). */
  dropped: number;
  /** Bytes of serialized rows waiting in memory (bounded by the outage buffer). */
  bytesBuffered: number;
  /** Of `buffered`, rows waiting in the local spool file. */
  spooled: number;
  spoolBytes: number;
  /** Writes refused since open because the spool was full (`StoreUnavailableError`). */
  refused: number;
}

/**
 * Non-blocking writes, batched and retried: for the hot paths (event appends, job launches, logs,
 * daemon records, heartbeats). None of these blocks. While the database is unreachable the store
 * reports itself degraded and rows wait in the outage buffer: in memory up to its bound
 * (`outage.maxBytes`, default 64 MB, shared), then in the spool file, and are written in push order
 * once it is back (removed from the spool only then). Without a spool the oldest rows beyond the
 * bound are dropped and counted ({@link StoreHealth.dropped}); a full spool refuses more: `event`
 * and `launch` throw a `StoreUnavailableError`, the others count it ({@link StoreHealth.refused}).
 */
export interface StoreWrites {
  /** Appends an event (`Store.appendEvents`, in push order); throws `StoreUnavailableError` when refused. */
  event(event: NewEvent): void;
  /**
   * Writes a launch with `Store.launchJobs`, in push order: for a job service that cannot reach
   * the store, which returns the job's id (made by the caller) at once. A dedup conflict found
   * when it is written launches nothing. Throws `StoreUnavailableError` when refused.
   */
  launch(launch: NewJobLaunch): void;
  /** The last write failed: the database is unreachable, writes are waiting. */
  readonly unreachable: boolean;
  /**
   * Launches waiting to be written (memory and spool): while any wait, a new launch goes after
   * them through {@link launch} so launches reach the store in the order they were made.
   */
  readonly launchesWaiting: number;
  log(row: LogRow): void;
  /** Coalesced by (node, name): only the latest record of a daemon waits in the buffer. */
  daemon(record: DaemonRecord): void;
  /**
   * A running daemon's heartbeat, without the rest of its record: only its `lastHeartbeatAt` and
   * `heartbeatDetails` are written, coalesced by (node, name), after every record this store was
   * given before it ({@link daemon}), so it never undoes a state and a heartbeat is never older
   * than the record it lands on. An older `at` than the stored one changes nothing; a daemon with
   * no stored record gets none from it (its record carries its heartbeat).
   */
  daemonHeartbeat(
    node: string,
    name: string,
    at: number,
    details: Record<string, unknown> | null,
  ): void;
  /** Coalesced by node. */
  nodeHeartbeat(id: string, at: number): void;
  /** Writes everything buffered now; rejects (keeping the rows) if the database is unreachable. */
  flush(): Promise<void>;
}
