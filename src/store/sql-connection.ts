/**
 * The SQL store's connection: opening it (connect, then migrate), closing it, running direct
 * operations on it while remembering whether the database answered (for health), and the
 * wake-up channels that need the open listener.
 */
import type { Kysely } from "kysely";
import { coerceError } from "../internal/errors.js";
import { StoreError } from "./errors.js";
import type { Database } from "./schema.js";
import type { Listener, SqlBackend } from "./sql-backend.js";
import { migrateSqlDatabase } from "./sql-migrate.js";
import type { SqlOp } from "./sql-rows.js";
import type { Store } from "./types.js";

/**
 * One database handle's life: `open()` once (again is a no-op; a failure leaves nothing open),
 * then direct operations through {@link SqlConnection.op}, then `close()` (idempotent), after
 * which every operation throws "not open".
 */
export interface SqlConnection extends Pick<Store, "listen" | "notify"> {
  /** `open()` resolved. */
  readonly opened: boolean;
  /** `close()` was called. */
  readonly closed: boolean;
  /** The last retryable error of a direct operation; null once one succeeds. */
  readonly lastError: Error | null;
  readonly op: SqlOp;
  open(): Promise<void>;
  /** Closes the listener and the database; the caller flushes its buffers first. */
  close(): Promise<void>;
}

export function createSqlConnection(backend: SqlBackend): SqlConnection {
  let db: Kysely<Database> | undefined;
  let listener: Listener | undefined;
  let opened = false;
  let closed = false;
  let directError: Error | null = null;

  const need = (): Kysely<Database> => {
    if (!db || closed) throw new Error(`store ${backend.url} is not open`);
    return db;
  };

  const op: SqlOp = async (fn) => {
    const handle = need();
    try {
      const result = await fn(handle);
      directError = null;
      return result;
    } catch (thrown) {
      const error = coerceError(thrown);
      if (backend.isRetryable(error)) directError = error;
      throw error;
    }
  };

  return {
    get opened() {
      return opened;
    },
    get closed() {
      return closed;
    },
    get lastError() {
      return directError;
    },
    op,

    async open() {
      if (opened) return;
      db = await backend.connect();
      try {
        const migrating = (await backend.migrationDatabase?.()) ?? db;
        try {
          await migrateSqlDatabase(migrating, backend);
        } finally {
          if (migrating !== db) await migrating.destroy().catch(() => {});
        }
      } catch (thrown) {
        const error = coerceError(thrown);
        await db.destroy().catch(() => {});
        db = undefined;
        throw error instanceof StoreError ? error : backend.describeOpenError(error);
      }
      listener = backend.createListener(db);
      opened = true;
    },

    async close() {
      closed = true;
      await listener?.close().catch(() => {});
      await db?.destroy().catch(() => {});
      await backend.closed?.().catch(() => {});
    },

    async listen(channel, onNotify) {
      need();
      return (listener as Listener).listen(channel, onNotify);
    },

    notify: (channel) =>
      op(async (db) => {
        await backend.notifyIn(db, channel);
        backend.afterNotify?.(channel);
      }),
  };
}
