import type { LogLevel } from "../registry/types.js";
import { LOG_LEVEL_NUMBERS } from "../store/types.js";

export interface LogEntry {
  /** Increasing id within this process (for stream resume). */
  id: number;
  at: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export interface LogQuery {
  daemon?: string;
  /** Minimum level. */
  level?: LogLevel;
  since?: number;
  until?: number;
  limit?: number;
}

/**
 * The most recent log lines of each daemon, in memory, so `logs` works with no store and the
 * live stream can replay a little history. Bounded per daemon: old lines fall off.
 */
export class LogRing {
  private byDaemon = new Map<string, LogEntry[]>();
  private nextId = 1;

  constructor(private perDaemon = 1_000) {}

  push(entry: Omit<LogEntry, "id">): LogEntry {
    const full = { ...entry, id: this.nextId++ };
    let list = this.byDaemon.get(entry.daemon);
    if (!list) {
      list = [];
      this.byDaemon.set(entry.daemon, list);
    }
    list.push(full);
    if (list.length > this.perDaemon) list.splice(0, list.length - this.perDaemon);
    return full;
  }

  /** Matching lines, oldest first, the newest `limit` of them. */
  query(q: LogQuery = {}): LogEntry[] {
    const lists = q.daemon ? [this.byDaemon.get(q.daemon) ?? []] : [...this.byDaemon.values()];
    const min = q.level ? LOG_LEVEL_NUMBERS[q.level] : 0;
    const rows = lists
      .flat()
      .filter(
        (e) =>
          LOG_LEVEL_NUMBERS[e.level] >= min &&
          (q.since === undefined || e.at >= q.since) &&
          (q.until === undefined || e.at <= q.until),
      );
    if (lists.length > 1) rows.sort((a, b) => a.id - b.id);
    return q.limit !== undefined ? rows.slice(-q.limit) : rows;
  }
}
