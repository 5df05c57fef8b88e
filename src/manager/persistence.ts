import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import { SECOND } from "../registry/duration.js";
import type { NodeInfo } from "../registry/types.js";
import { createStore } from "../store/open.js";
import { spoolPathFor } from "../store/spool.js";
import { type LogSweeper, startLogSweeper } from "../store/sweeper.js";
import type { DaemonRecord, LogRow, Store, StoreHealth } from "../store/types.js";

/** How often this node's heartbeat is written. */
export const NODE_HEARTBEAT_INTERVAL = 5 * SECOND;

/**
 * The manager's link to its store: opens it (one clear error if it cannot), registers the node
 * and keeps its heartbeat, writes daemon records and log lines through the store's batching
 * writer, and runs the log retention sweeper. A store that goes away degrades the manager but
 * never stops a daemon: every write here is non-blocking.
 */
export interface Persistence {
  readonly store: Store;
  /** Stored operator settings as a config layer: `{ daemon: { enabled, autoStart, ...config } }`. */
  readonly storedOverrides: Record<string, Record<string, unknown>>;
  record(record: Omit<DaemonRecord, "node" | "updatedAt">): void;
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
}): Promise<Persistence> {
  const { clock, node, logger } = options;
  let dropped = 0;
  const store = createStore(options.url, {
    clock,
    pollIntervalMs: options.pollIntervalMs,
    writes: {
      outage: { spoolPath: spoolPathFor(options.url, node.id) },
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
  const startedAt = clock.now();
  await store.upsertNode({ ...node, startedAt, lastHeartbeatAt: startedAt });
  let timer: TimerHandle | undefined;
  const beat = () => {
    store.writes.nodeHeartbeat(node.id, clock.now());
    timer = clock.setTimeout(beat, NODE_HEARTBEAT_INTERVAL);
  };
  timer = clock.setTimeout(beat, NODE_HEARTBEAT_INTERVAL);
  const sweeper: LogSweeper = startLogSweeper(store, {
    clock,
    onError: (error) => logger.warn(`log retention sweep failed: ${describeError(error)}`),
  });
  let closed = false;
  return {
    store,
    storedOverrides,
    record(record) {
      if (!closed) store.writes.daemon({ ...record, node: node.id, updatedAt: clock.now() });
    },
    log(row) {
      if (!closed) store.writes.log({ ...row, node: node.id });
    },
    health: () => store.health(),
    async setUrl(url) {
      await store.upsertNode({ ...node, url, startedAt, lastHeartbeatAt: clock.now() });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clock.clearTimeout(timer);
      sweeper.stop();
      try {
        store.writes.nodeHeartbeat(node.id, clock.now());
        await store.close();
      } catch (error) {
        logger.warn(`closing the store failed: ${describeError(coerceError(error))}`);
      }
    },
  };
}
