/**
 * Choosing and opening a store by URL: `sqlite:PATH`, `postgres://…` or `memory:`.
 */
import { type Clock, systemClock } from "../internal/clock.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { createMemoryStore } from "./memory.js";
import { createPostgresStore } from "./postgres.js";
import { createSqliteStore } from "./sqlite.js";
import type { StoreWritesOptions } from "./store-writes.js";
import type { Store } from "./types.js";
import { parseStoreUrl } from "./url.js";

export interface CreateStoreOptions {
  /** Times for timers (write buffer, polling, reconnects). Default: the system clock. */
  clock?: Clock;
  /** SQLite: how often listeners look for other processes' notifications. Default 1 s. */
  pollIntervalMs?: number;
  /** SQLite: how long to wait for another process's write lock. Default 5 s. */
  busyTimeoutMs?: number;
  /** PostgreSQL: the schema for ringmaster's tables (tests use one each). Overrides `?schema=`. */
  schema?: string;
  /** PostgreSQL: how long to wait for a connection. Default 5 s. */
  connectTimeoutMs?: number;
  /** PostgreSQL: the longest a statement may run. Default 5 s (`STORE_DEFAULTS.statementTimeout`). */
  statementTimeoutMs?: number;
  /** PostgreSQL: pool size. Default 10. */
  poolSize?: number;
  /** The batching writer behind `store.writes`. */
  writes?: Omit<StoreWritesOptions, "clock">;
}

/**
 * A store for `url` (not yet open): `sqlite:PATH`, `postgres://…` / `postgresql://…` or `memory:`.
 * Throws a {@link StoreError} at once for a malformed URL; `open()` reports the rest.
 */
export function createStore(
  url: string = STORE_DEFAULTS.url,
  options: CreateStoreOptions = {},
): Store {
  const target = parseStoreUrl(url);
  const clock = options.clock ?? systemClock;
  const common = { clock, ...(options.writes ? { writes: options.writes } : {}) };
  switch (target.kind) {
    case "memory":
      return createMemoryStore(target.url, common);
    case "sqlite":
      return createSqliteStore(target.url, target.path, {
        ...common,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
      });
    case "postgres": {
      const schema = options.schema ?? target.schema;
      return createPostgresStore(target.url, target.connectionString, {
        ...common,
        ...(schema !== undefined ? { schema } : {}),
        ...(options.connectTimeoutMs !== undefined
          ? { connectTimeoutMs: options.connectTimeoutMs }
          : {}),
        ...(options.statementTimeoutMs !== undefined
          ? { statementTimeoutMs: options.statementTimeoutMs }
          : {}),
        ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
      });
    }
  }
}

/** `createStore` then `open()`: the store, ready, or a {@link StoreError}. */
export async function openStore(url?: string, options?: CreateStoreOptions): Promise<Store> {
  const store = createStore(url, options);
  await store.open();
  return store;
}
