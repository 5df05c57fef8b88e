/**
 * The SQL store (SQLite and PostgreSQL behind one Kysely code path), assembled from one part per
 * concern. The dialect's differences come in through a {@link SqlBackend}.
 */
import type { Clock } from "../internal/clock.js";
import type { SqlBackend } from "./sql-backend.js";
import { sqlClusterMethods } from "./sql-cluster.js";
import { createSqlConnection } from "./sql-connection.js";
import { sqlDaemonSettingsMethods } from "./sql-daemon-settings.js";
import { sqlDeadLetterMethods } from "./sql-dead-letters.js";
import { sqlEventMethods } from "./sql-events.js";
import { sqlJobMethods } from "./sql-jobs.js";
import { sqlLogMethods } from "./sql-logs.js";
import { sqlNodeMethods } from "./sql-nodes.js";
import { createBufferedWrites, type StoreWritesOptions } from "./store-writes.js";
import type { Store } from "./types.js";

export interface SqlStoreOptions {
  clock: Clock;
  writes?: Omit<StoreWritesOptions, "clock">;
}

/**
 * A {@link Store} on the database `backend` opens. Every direct method goes through the
 * connection's operation runner, so health knows whether the database last answered; the
 * buffered writes (`store.writes`) land through the same methods.
 */
export function createSqlStore(backend: SqlBackend, options: SqlStoreOptions): Store {
  const connection = createSqlConnection(backend);
  const { op } = connection;

  const store: Store = {
    kind: backend.kind,
    url: backend.url,

    async open() {
      if (connection.opened) return;
      await connection.open();
      try {
        buffered.opened();
      } catch (error) {
        await connection.close();
        throw error;
      }
    },
    async close() {
      if (connection.closed) return;
      if (connection.opened) await buffered.close().catch(() => 0);
      await connection.close();
    },
    health: () => buffered.health(connection.opened && !connection.closed, connection.lastError),
    get writes() {
      return buffered.writes;
    },

    ...sqlNodeMethods(backend.kind, op),
    ...sqlDaemonSettingsMethods(op),
    ...sqlLogMethods(op),
    ...sqlEventMethods(op, backend, options.clock),
    ...sqlDeadLetterMethods(op),
    ...sqlJobMethods(
      backend.kind,
      op,
      {
        ...(backend.notifyExpression ? { expression: backend.notifyExpression } : {}),
        inTransaction: (trx, channel) => backend.notifyIn(trx, channel),
        after: (channel) => backend.afterNotify?.(channel),
      },
      backend.sqliteDatabase?.bind(backend),
    ),

    cluster: sqlClusterMethods(op),

    listen: connection.listen,
    notify: connection.notify,
  };

  const buffered = createBufferedWrites(
    store,
    { clock: options.clock, ...options.writes },
    (error) => backend.isRetryable(error),
  );

  return store;
}
