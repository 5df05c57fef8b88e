import type { Logger } from "pino";
import type { ClusterTimings } from "../cluster/defaults.js";
import { createMembership, type Membership } from "../cluster/membership.js";
import type { Clock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import type { NodeInfo } from "../registry/types.js";
import { createStore } from "../store/open.js";
import { spoolPathFor } from "../store/spool.js";
import { type LogSweeper, startLogSweeper } from "../store/sweeper.js";
import type { DaemonRecord, LogRow, Store, StoreHealth } from "../store/types.js";
import { createHeartbeatWrites, type DaemonBeats } from "./heartbeat-writes.js";

/**
 * The manager's link to its store: opens it (one clear error if it cannot), joins the cluster as
 * this node (its row in `nodes` and heartbeat, `cluster/membership.ts`: a second live process with
 * the same node id is refused here, before anything is written under that id), writes daemon
 * records (on every state change, and heartbeats throttled) and log lines through the store's
 * batching writer, and runs the log retention sweeper. A store that goes away degrades the manager but
 * never stops a daemon: every write here is non-blocking.
 */
export interface Persistence {
  readonly store: Store;
  /** Stored operator settings as a config layer: `{ daemon: { enabled, autoStart, ...config } }`. */
  readonly storedOverrides: Record<string, Record<string, unknown>>;
  /** This node's row in `nodes`. */
  readonly membership: Membership;
  record(record: Omit<DaemonRecord, "node" | "updatedAt">): void;
  /**
   * Where the daemon `name`'s beats go: its record's heartbeat fields (not the whole record)
   * reach the store at most every `heartbeatWriteInterval` (defaults.ts, by the fleet's size),
   * through the same batching writer. One per daemon, kept by the caller (no lookup per beat);
   * after close it writes nothing.
   */
  heartbeatOf(name: string): DaemonBeats;
  log(row: Omit<LogRow, "node">): void;
  health(): StoreHealth;
  /** Records the node's HTTP address (so the CLI can find this manager). */
  setUrl(url: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPersistence(options: {
  url: string;
  pollIntervalMs: number;
  clock: Clock;
  node: NodeInfo;
  logger: Logger;
  timings: ClusterTimings;
  /** The `scope: "cluster"` daemons this node may run (placement reads them from its row). */
  candidates: readonly string[];
  /** Another process took this node's row over: this one must stop. */
  onEvicted(): void;
  /** Bytes of writes kept in memory while the store is unreachable (`store.outageBuffer`). */
  outageBuffer?: number;
  /** Stored events older than `maxAge` ms or beyond the newest `maxRows` go (`events.retention`). */
  eventRetention?: { maxAge: number; maxRows: number };
  /** ms: a daemon's heartbeat reaches its record at most this often. */
  heartbeatWriteInterval: number;
}): Promise<Persistence> {
  const { clock, node, logger } = options;
  let dropped = 0;
  const store = createStore(options.url, {
    clock,
    pollIntervalMs: options.pollIntervalMs,
    writes: {
      outage: {
        spoolPath: spoolPathFor(options.url, node.id),
        ...(options.outageBuffer !== undefined ? { maxBytes: options.outageBuffer } : {}),
      },
      onDrop: (drop) => {
        dropped += drop.count;
        logger.warn(
          `store: dropped ${drop.count} ${drop.buffer} row(s): ${drop.reason} (${dropped} in all)`,
        );
      },
    },
  });
  await store.open();
  const storedOverrides: Record<string, Record<string, unknown>> = {};
  for (const s of await store.loadDaemonSettings()) {
    const layer: Record<string, unknown> = { ...(s.configOverrides ?? {}) };
    if (s.enabled !== null) layer.enabled = s.enabled;
    if (s.autoStart !== null) layer.autoStart = s.autoStart;
    if (Object.keys(layer).length > 0) storedOverrides[s.name] = layer;
  }
  const membership = createMembership({
    store: store.cluster,
    clock,
    timings: options.timings,
    node: { ...node, url: null, candidates: options.candidates },
    onEvicted: options.onEvicted,
    onError: (error) => logger.warn(`node heartbeat failed: ${describeError(error)}`),
  });
  try {
    await membership.join();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  const sweeper: LogSweeper = startLogSweeper(store, {
    clock,
    ...(options.eventRetention
      ? {
          eventMaxAgeMs: options.eventRetention.maxAge,
          eventMaxRows: options.eventRetention.maxRows,
        }
      : {}),
    onError: (error) => logger.warn(`log retention sweep failed: ${describeError(error)}`),
  });
  let closed = false;
  const write = (record: Omit<DaemonRecord, "node" | "updatedAt">) => {
    if (!closed) store.writes.daemon({ ...record, node: node.id, updatedAt: clock.now() });
  };
  const beats = createHeartbeatWrites({
    clock,
    interval: options.heartbeatWriteInterval,
    write: (name, at, details) => {
      if (!closed) store.writes.daemonHeartbeat(node.id, name, at, details);
    },
  });
  return {
    store,
    storedOverrides,
    membership,
    record: write,
    heartbeatOf: (name) => beats.of(name),
    log(row) {
      if (!closed) store.writes.log({ ...row, node: node.id });
    },
    health: () => store.health(),
    setUrl: (url) => membership.setUrl(url),
    async close() {
      if (closed) return;
      closed = true;
      beats.stop();
      sweeper.stop();
      try {
        await membership
          .leave()
          .catch((error) => logger.warn(`leaving the cluster failed: ${describeError(error)}`));
        await store.close();
      } catch (error) {
        logger.warn(`closing the store failed: ${describeError(coerceError(error))}`);
      }
    },
  };
}
