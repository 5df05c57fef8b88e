/**
 * `Store.writes` and `Store.health()` for every implementation: one write buffer each for event
 * appends, job launches, logs, daemon records and node heartbeats over the store's direct
 * methods, sharing the outage buffer (a memory budget, then the spool file).
 */
import type { Clock } from "../internal/clock.js";
import { describeError } from "../internal/errors.js";
import { daemonKey } from "./daemon-key.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { createMemoryBudget, type SpoolQueue, spoolQueue } from "./outage-buffer.js";
import { openSpool, type Spool } from "./spool.js";
import type {
  DaemonHeartbeat,
  DaemonRecord,
  LogRow,
  NewEvent,
  NewJobLaunch,
  StoreHealth,
  StoreWrites,
} from "./types.js";
import { createWriteBuffer, type DropReason, type WriteBuffer } from "./write-buffer.js";

/** Where writes wait while the database is unreachable (defaults: `STORE_DEFAULTS.outage`). */
export interface OutageOptions {
  /**
   * Bytes of rows kept in memory, shared by every buffer: each row counts its JSON's bytes plus
   * `STORE_DEFAULTS.outage.rowOverhead`, so the bound is on the heap they hold. Default 64 MB.
   */
  maxBytes?: number;
  /** The spool file for what does not fit in memory; none: the oldest rows are dropped instead. */
  spoolPath?: string;
  /** The spool's own limit, beyond which writes are refused. Default 1 GB. */
  spoolMaxBytes?: number;
}

export interface StoreWritesOptions {
  clock: Clock;
  flushInterval?: number;
  maxBatch?: number;
  maxBuffered?: number;
  retry?: { initialDelay: number; factor: number; maxDelay: number };
  outage?: OutageOptions;
  /** Told about every row dropped (buffer full, spool full, or refused by the database). */
  onDrop?: (drop: {
    buffer: BufferName;
    count: number;
    reason: DropReason | (string & {});
    error?: Error;
  }) => void;
}

type BufferName = "events" | "launches" | "logs" | "daemons" | "daemonHeartbeats" | "heartbeats";

interface Target {
  appendEvents(events: readonly NewEvent[]): Promise<number[]>;
  launchJobs(launches: readonly NewJobLaunch[]): Promise<unknown>;
  appendLogs(rows: readonly LogRow[]): Promise<void>;
  saveDaemons(records: readonly DaemonRecord[]): Promise<void>;
  saveDaemonHeartbeats(heartbeats: readonly DaemonHeartbeat[]): Promise<void>;
  heartbeatNode(id: string, at: number): Promise<void>;
}

/** The buffered half of a store: its write buffers over its direct methods, and its health. */
export interface BufferedWrites {
  writes: StoreWrites;
  /**
   * Called by the store's `open()` once the database answers: opens the spool (a damaged one
   * throws a `StoreError`) and starts writing what an earlier process left in it.
   */
  opened(): void;
  /** Health as far as the buffers know; `directError` is the last failure of a direct call. */
  health(open: boolean, directError: Error | null): StoreHealth;
  /** Last attempt; rows left in memory move to the spool. Resolves with the rows lost. */
  close(): Promise<number>;
}

export function createBufferedWrites(
  target: Target,
  options: StoreWritesOptions,
  isRetryable: (error: Error) => boolean,
): BufferedWrites {
  const outage = { ...STORE_DEFAULTS.outage, ...options.outage };
  const budget = createMemoryBudget(outage.maxBytes);
  let spool: Spool | undefined;
  /** When a direct call was first seen failing (the buffers keep their own time). */
  let directSince: number | null = null;
  const common = {
    clock: options.clock,
    isRetryable,
    ...(options.flushInterval !== undefined ? { flushInterval: options.flushInterval } : {}),
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
  };
  const onDrop =
    (buffer: BufferName) => (drop: { count: number; reason: DropReason; error?: Error }) =>
      options.onDrop?.({ buffer, ...drop });
  /** The unkeyed buffers count their rows against the budget and spool beyond it. */
  const overflow = <T>(name: BufferName) => {
    let queue: SpoolQueue<T> | undefined;
    return {
      budget,
      // UTF-8 bytes of its JSON (text beyond Latin-1 takes 2 bytes a character in the heap).
      sizeOf: (row: T) => outage.rowOverhead + Buffer.byteLength(JSON.stringify(row)),
      spool() {
        if (!queue && spool) queue = spoolQueue<T>(spool, name);
        return queue;
      },
    };
  };

  // Events and launches are waited for (a subscriber, a worker): written at the next turn of
  // the event loop, all that arrived meanwhile in one batch, and while one batch is written the
  // next gathers (group commit). Logs and records can wait `flushInterval`.
  const prompt = { flushInterval: options.flushInterval ?? 0 };
  const events = createWriteBuffer<NewEvent>({
    ...common,
    ...prompt,
    write: async (rows) => {
      await target.appendEvents(rows);
    },
    overflow: overflow("events"),
    onDrop: onDrop("events"),
  });
  const launches = createWriteBuffer<NewJobLaunch>({
    ...common,
    ...prompt,
    write: async (rows) => {
      await target.launchJobs(rows);
    },
    overflow: overflow("launches"),
    onDrop: onDrop("launches"),
  });
  const logs = createWriteBuffer<LogRow>({
    ...common,
    write: (rows) => target.appendLogs(rows),
    overflow: overflow("logs"),
    onDrop: onDrop("logs"),
  });
  const daemons = createWriteBuffer<DaemonRecord>({
    ...common,
    key: (r) => daemonKey(r.node, r.name),
    write: (rows) => target.saveDaemons(rows),
    onDrop: onDrop("daemons"),
  });
  // A daemon's heartbeat alone (no record to build, one small UPDATE): written after the records
  // given before it, so it lands on the record it beat in and never under an older one.
  const daemonHeartbeats = createWriteBuffer<DaemonHeartbeat>({
    ...common,
    key: (h) => daemonKey(h.node, h.name),
    write: async (rows) => {
      await daemons.flush();
      await target.saveDaemonHeartbeats(rows);
    },
    onDrop: onDrop("daemonHeartbeats"),
  });
  const heartbeats = createWriteBuffer<{ id: string; at: number }>({
    ...common,
    key: (r) => r.id,
    write: async (rows) => {
      for (const row of rows) await target.heartbeatNode(row.id, row.at);
    },
    onDrop: onDrop("heartbeats"),
  });
  // Events first: when several buffers wait, a subscriber elsewhere is waiting for those.
  const buffers: Array<[BufferName, WriteBuffer<never>]> = [
    ["events", events],
    ["launches", launches],
    ["logs", logs],
    ["daemons", daemons],
    ["daemonHeartbeats", daemonHeartbeats],
    ["heartbeats", heartbeats],
  ];

  return {
    writes: {
      event: (event) => events.accept(event),
      launch: (launch) => launches.accept(launch),
      log: (row) => logs.push(row),
      daemon: (record) => daemons.push(record),
      daemonHeartbeat: (node, name, at, details) =>
        daemonHeartbeats.push({ node, name, at, details }),
      nodeHeartbeat: (id, at) => heartbeats.push({ id, at }),
      get unreachable() {
        return buffers.some(([, b]) => b.stats().degraded);
      },
      get launchesWaiting() {
        return launches.stats().buffered;
      },
      async flush() {
        await Promise.all(buffers.map(([, b]) => b.flush()));
      },
    },
    opened() {
      if (outage.spoolPath && !spool) {
        spool = openSpool(outage.spoolPath, { maxBytes: outage.spoolMaxBytes });
      }
      for (const [, b] of buffers) b.resume();
    },
    health(open, directError) {
      if (directError) directSince ??= options.clock.now();
      else directSince = null;
      return buffersHealth(buffers, { open, directError, directSince, spool, budget });
    },
    async close() {
      let left = 0;
      for (const [, b] of buffers) left += await b.close();
      spool?.close();
      return left;
    },
  };
}

/** The store's health as its buffers see it: degraded since when, and what waits or was lost. */
function buffersHealth(
  buffers: ReadonlyArray<[BufferName, WriteBuffer<never>]>,
  state: {
    open: boolean;
    directError: Error | null;
    directSince: number | null;
    spool: Spool | undefined;
    budget: { used(): number };
  },
): StoreHealth {
  const { open, directError, spool } = state;
  let buffered = 0;
  let dropped = 0;
  let refused = 0;
  let spooled = 0;
  let bufferError: string | null = null;
  let since = state.directSince;
  for (const [name, b] of buffers) {
    const s = b.stats();
    if (s.degradedSince !== null && (since === null || s.degradedSince < since)) {
      since = s.degradedSince;
    }
    buffered += s.buffered;
    dropped += s.dropped;
    refused += s.refused;
    spooled += s.spooled;
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
  if (spooled > 0) parts.push(`${spooled} of them in the spool ${spool?.path}`);
  if (dropped > 0) parts.push(`${dropped} rows dropped`);
  if (refused > 0) parts.push(`${refused} writes refused (spool full)`);
  return {
    ok: open && !degraded,
    degraded,
    degradedSince: degraded ? since : null,
    message: parts.join("; "),
    buffered,
    dropped,
    bytesBuffered: state.budget.used(),
    spooled,
    spoolBytes: spool?.bytes() ?? 0,
    refused,
  };
}
