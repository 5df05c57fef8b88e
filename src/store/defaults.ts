/**
 * Every default of the store (URL, write buffers, retention, timeouts), in one place.
 */
import { HOUR, MINUTE, SECOND } from "../registry/duration.js";

/** Every default of the store, in one place. Durations are milliseconds. */
export const STORE_DEFAULTS = {
  url: "sqlite:.ringmaster/state.db",
  /** SQLite: how often listeners poll for changes made by other processes. */
  pollInterval: 1 * SECOND,
  /** SQLite: how long a writer waits for another process's lock before failing. */
  busyTimeout: 5 * SECOND,
  /** SQLite: prepared statements kept for reuse (least recently used dropped first). */
  sqliteStatementCache: 200,
  /** PostgreSQL: how long to wait for a connection before counting the database unreachable. */
  connectTimeout: 5 * SECOND,
  /** PostgreSQL: pool size. */
  poolSize: 10,
  /** PostgreSQL: delays between attempts to re-establish the LISTEN connection. */
  listenRetry: { initialDelay: 250, factor: 2, maxDelay: 5 * SECOND },
  /** The batching writer for logs, daemon records and heartbeats (see write-buffer.ts). */
  writes: {
    flushInterval: 250,
    maxBatch: 500,
    /** Rows kept per buffer while the database is unreachable; beyond it the oldest are dropped and counted. */
    maxBuffered: 10_000,
    /** Retry delays while the database is unreachable: 250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s, … */
    retry: { initialDelay: 250, factor: 2, maxDelay: 5 * SECOND },
  },
  /** Event retention: older events every subscriber has passed are removed by the sweeper. */
  eventRetention: { maxAge: 7 * 24 * HOUR },
  /** Log retention, enforced by the sweeper. */
  logRetention: { maxRowsPerDaemon: 10_000, maxAge: 7 * 24 * HOUR, interval: 1 * MINUTE },
};
