/**
 * Every default of the store (URL, write buffers, retention, timeouts), in one place.
 */
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { HOUR, MINUTE, SECOND } from "../registry/duration.js";

const MB = 1024 * 1024;

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
  /**
   * PostgreSQL: the longest a statement may run, enforced by the server (`statement_timeout`) and,
   * a second later, by the client (`query_timeout`), which is what notices a silent partition.
   */
  statementTimeout: 5 * SECOND,
  /**
   * PostgreSQL: how long one statement of a migration may run (the server's statement_timeout
   * on the migration connection, and the client's wait a second later), instead of the store's
   * `statementTimeout`. A migration that rewrites a big table also lifts the server's limit for
   * its transaction (`SET LOCAL statement_timeout = 0`, migrations 0005 and 0006).
   * A manager gives its store part as long to open (`PART_TIMEOUTS.start.store`).
   */
  migrationTimeout: 1 * MINUTE,
  /** PostgreSQL: a transaction left idle this long is ended by the server (its locks released). */
  idleInTransactionTimeout: 30 * SECOND,
  /** PostgreSQL: TCP keep-alive probes start after the connection is idle this long. */
  keepAliveInitialDelay: 5 * SECOND,
  /** PostgreSQL: pool size. */
  poolSize: 10,
  /** PostgreSQL: delays between attempts to re-establish the LISTEN connection. */
  listenRetry: { initialDelay: 250, factor: 2, maxDelay: 5 * SECOND },
  /** The batching writer for logs, daemon records and heartbeats (see write-buffer.ts). */
  writes: {
    flushInterval: 250,
    maxBatch: 500,
    /**
     * Rows a buffer without a key or an outage budget keeps while the database is unreachable;
     * beyond it the oldest are dropped and counted. The store's own buffers use the outage
     * budget (events, launches, logs) or their keys (one record and heartbeat per daemon, one
     * heartbeat per node) unless `writes.maxBuffered` is given.
     */
    maxBuffered: 10_000,
    /** Retry delays while the database is unreachable: 250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s, … */
    retry: { initialDelay: 250, factor: 2, maxDelay: 5 * SECOND },
  },
  /**
   * Writes waiting for an unreachable store: up to `maxBytes` (serialized rows) in memory, beyond
   * that in a local SQLite spool file of at most `spoolMaxBytes`, beyond which publishes are
   * refused (`StoreUnavailableError`). The spool is `.ringmaster/spool-<node>.db` next to a
   * SQLite store, `.ringmaster/` in the working directory otherwise.
   */
  outage: {
    maxBytes: MANAGER_DEFAULTS.outageBuffer,
    spoolMaxBytes: 1024 * MB,
    spoolDirectory: ".ringmaster",
    /**
     * Bytes counted per row in memory on top of its JSON's: what the heap holds beyond the text
     * (object headers, string headers, the buffer's own entry). Measured with the heap after a
     * full collection (test/store/buffer-heap.test.ts): an event row takes ~120 bytes more than
     * its JSON, a log line ~60, a job launch ~50.
     */
    rowOverhead: 128,
    /** A failure repeated during an outage is logged once, then summarised this often. */
    summaryInterval: 30 * SECOND,
  },
  /**
   * Event retention: events older than `maxAge`, or beyond the newest `maxRows`, that every
   * subscriber has passed are removed by the sweeper, at most `batch` rows per statement with a
   * `pause` (ms) between statements so no sweep holds the event loop (or SQLite's write lock) for
   * long. A statement that took longer than `batchBudget` ms halves the next one (down to
   * `minBatch`); one well under it lets the size grow back. 100-row statements took ~0.5 ms at the
   * median on 200,000 rows; the spikes left are SQLite's WAL checkpoints. On PostgreSQL a
   * statement's time is spent waiting for the server, the loop free: statements of `asyncBatch`
   * rows, not resized (its four round trips took ~7 ms at 1,000 events/s on a loaded machine,
   * which the budget shrank to 20-row statements, ~1,400 rows/s: retention barely kept up, and
   * a 20-minute soak ended 18% over `maxRows`).
   */
  eventRetention: {
    ...MANAGER_DEFAULTS.eventRetention,
    batch: 100,
    asyncBatch: 1_000,
    minBatch: 20,
    batchBudget: 5,
    pause: 5,
  },
  /** Log retention, enforced by the sweeper. */
  logRetention: { maxRowsPerDaemon: 10_000, maxAge: 7 * 24 * HOUR, interval: 1 * MINUTE },
};
