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
  /** Per daemon, a ring: `lines` fills up to `perDaemon`, then `start` marks the oldest line. */
  private byDaemon = new Map<string, { lines: LogEntry[]; start: number }>();
  private nextId = 1;

  constructor(private perDaemon = 1_000) {}

  push(entry: Omit<LogEntry, "id">): LogEntry {
    const full = { ...entry, id: this.nextId++ };
    let ring = this.byDaemon.get(entry.daemon);
    if (!ring) {
      ring = { lines: [], start: 0 };
      this.byDaemon.set(entry.daemon, ring);
    }
    // Overwriting the oldest line costs the same at any size (a shift moved the whole list).
    if (ring.lines.length < this.perDaemon) ring.lines.push(full);
    else {
      ring.lines[ring.start] = full;
      ring.start = (ring.start + 1) % this.perDaemon;
    }
    return full;
  }

  private ordered(name: string): LogEntry[] {
    const ring = this.byDaemon.get(name);
    if (!ring) return [];
    const { lines, start } = ring;
    return start === 0 ? lines : lines.slice(start).concat(lines.slice(0, start));
  }

  /** Matching lines, oldest first, the newest `limit` of them. */
  query(q: LogQuery = {}): LogEntry[] {
    const lists = q.daemon
      ? [this.ordered(q.daemon)]
      : [...this.byDaemon.keys()].map((name) => this.ordered(name));
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
