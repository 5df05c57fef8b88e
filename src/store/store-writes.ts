/**
 * `Store.writes` and `Store.health()` for every implementation: one write buffer each for logs,
 * daemon records and node heartbeats over the store's direct methods.
 */
import type { Clock } from "../internal/clock.js";
import { describeError } from "../internal/errors.js";
import type { DaemonRecord, LogRow, StoreHealth, StoreWrites } from "./types.js";
import { createWriteBuffer, type WriteBuffer } from "./write-buffer.js";

export interface StoreWritesOptions {
  clock: Clock;
  flushInterval?: number;
  maxBatch?: number;
  maxBuffered?: number;
  retry?: { initialDelay: number; factor: number; maxDelay: number };
  /** Told about every row dropped (buffer full, or refused by the database). */
  onDrop?: (drop: {
    buffer: "logs" | "daemons" | "heartbeats";
    count: number;
    reason: string;
    error?: Error;
  }) => void;
}

interface Target {
  appendLogs(rows: readonly LogRow[]): Promise<void>;
  saveDaemons(records: readonly DaemonRecord[]): Promise<void>;
  heartbeatNode(id: string, at: number): Promise<void>;
}

/** The buffered half of a store: three write buffers over its direct methods, and its health. */
export interface BufferedWrites {
  writes: StoreWrites;
  /** Health as far as the buffers know; `directError` is the last failure of a direct call. */
  health(open: boolean, directError: Error | null): StoreHealth;
  close(): Promise<number>;
}

export function createBufferedWrites(
  target: Target,
  options: StoreWritesOptions,
  isRetryable: (error: Error) => boolean,
): BufferedWrites {
  const common = {
    clock: options.clock,
    isRetryable,
    ...(options.flushInterval !== undefined ? { flushInterval: options.flushInterval } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  };
  const onDrop =
    (buffer: "logs" | "daemons" | "heartbeats") =>
    (drop: { count: number; reason: string; error?: Error }) =>
      options.onDrop?.({ buffer, ...drop });

  const logs = createWriteBuffer<LogRow>({
    ...common,
    write: (rows) => target.appendLogs(rows),
    onDrop: onDrop("logs"),
  });
  const daemons = createWriteBuffer<DaemonRecord>({
    ...common,
    key: (r) => `${r.node}\u0000${r.name}`,
    write: (rows) => target.saveDaemons(rows),
    onDrop: onDrop("daemons"),
  });
  const heartbeats = createWriteBuffer<{ id: string; at: number }>({
    ...common,
    key: (r) => r.id,
    write: async (rows) => {
      for (const row of rows) await target.heartbeatNode(row.id, row.at);
    },
    onDrop: onDrop("heartbeats"),
  });
  const buffers: Array<[string, WriteBuffer<never>]> = [
    ["logs", logs],
    ["daemons", daemons],
    ["heartbeats", heartbeats],
  ];

  return {
    writes: {
      log: (row) => logs.push(row),
      daemon: (record) => daemons.push(record),
      nodeHeartbeat: (id, at) => heartbeats.push({ id, at }),
      async flush() {
        await Promise.all(buffers.map(([, b]) => b.flush()));
      },
    },
    health(open, directError) {
      let buffered = 0;
      let dropped = 0;
      let bufferError: string | null = null;
      for (const [name, b] of buffers) {
        const s = b.stats();
        buffered += s.buffered;
        dropped += s.dropped;
        if (s.degraded && !bufferError) bufferError = `${name}: ${s.lastError}`;
      }
      const degraded = open && (bufferError !== null || directError !== null);
      const parts: string[] = [];
      if (!open) parts.push("not open");
      else if (degraded) {
        parts.push(
          `degraded: the database is unreachable (${bufferError ?? describeError(directError as Error)})`,
        );
      } else parts.push("ok");
      if (buffered > 0) parts.push(`${buffered} rows buffered`);
      if (dropped > 0) parts.push(`${dropped} rows dropped`);
      return { ok: open && !degraded, degraded, message: parts.join("; "), buffered, dropped };
    },
    async close() {
      let left = 0;
      for (const [, b] of buffers) left += await b.close();
      return left;
    },
  };
}
