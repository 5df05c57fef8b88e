/**
 * Daemon logs as stored: the rows, how to query them, the retention the sweeper enforces, and
 * the numeric order of levels. Declared here, part of the `Store`.
 */
import type { LogLevel } from "../registry/types.js";

export interface LogRow {
  time: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown> | null;
  node?: string | null;
}

export interface StoredLog {
  id: number;
  time: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
  node: string | null;
}

export interface LogQuery {
  daemon?: string;
  /** Minimum level: `"warn"` returns warn and error. */
  level?: LogLevel;
  /** Inclusive, ms since the epoch. */
  since?: number;
  /** Exclusive, ms since the epoch. */
  until?: number;
  /** Default 1000. */
  limit?: number;
  /** By time: `"desc"` (default) returns the newest first. */
  order?: "asc" | "desc";
}

export interface LogRetention {
  /** Keep at most this many rows per daemon (the newest). `Infinity` for no limit. */
  maxRowsPerDaemon: number;
  /** Remove rows older than this. `Infinity` for no limit. */
  maxAgeMs: number;
  now: number;
}

/**
 * The logs part of the `Store`. Daemons log through `Store.writes` (batched, never
 * blocking); these are the direct calls the batches, queries and the sweeper make.
 */
export interface LogMethods {
  appendLogs(rows: readonly LogRow[]): Promise<void>;
  queryLogs(query?: LogQuery): Promise<StoredLog[]>;
  /** Removes logs beyond the retention; returns how many rows were removed. */
  trimLogs(retention: LogRetention): Promise<number>;
}

export const LOG_LEVEL_NUMBERS: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};
