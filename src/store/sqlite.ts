/**
 * The SQLite backend of the SQL store: a WAL file opened with better-sqlite3, polled wake-ups,
 * and which errors are worth retrying.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { StoreError } from "./errors.js";
import type { Database } from "./schema.js";
import { describeCause, type Listener, type SqlBackend } from "./sql-backend.js";
import { createSqlStore, type SqlStoreOptions } from "./sql-store.js";
import { checkSqliteFile } from "./sqlite-check.js";
import { closeJobThread } from "./sqlite-jobs.js";
import { withStatementCache } from "./sqlite-statements.js";
import type { Store, StoreChannel } from "./types.js";

export interface SqliteStoreOptions extends SqlStoreOptions {
  pollIntervalMs?: number;
  busyTimeoutMs?: number;
}

const PATH_HINT =
  'choose a writable location with store "sqlite:PATH" (or RINGMASTER_STORE), or fix the permissions';

/**
 * SQLite through better-sqlite3: WAL mode (readers never wait for the writer), a busy timeout for
 * other processes' locks. Cross-process wake-ups are polled from `channel_versions`.
 */
export function createSqliteStore(url: string, path: string, options: SqliteStoreOptions): Store {
  const clock = options.clock;
  const pollInterval = options.pollIntervalMs ?? STORE_DEFAULTS.pollInterval;
  const busyTimeout = options.busyTimeoutMs ?? STORE_DEFAULTS.busyTimeout;
  const local = new Map<string, Set<() => void>>();
  let native: BetterSqlite3.Database | undefined;
  /** The job thread's exit once the connection closed (sqlite-jobs.ts). */
  let threadClosed: Promise<void> | undefined;

  const fire = (channel: string) => {
    for (const fn of [...(local.get(channel) ?? [])]) {
      try {
        fn();
      } catch {
        // A listener's error is its own.
      }
    }
  };

  const backend: SqlBackend = {
    kind: "sqlite",
    url,
    async connect() {
      const inMemory = path === ":memory:";
      const file = inMemory ? path : resolve(path);
      if (!inMemory) {
        try {
          mkdirSync(dirname(file), { recursive: true });
        } catch (thrown) {
          const error = coerceError(thrown);
          throw new StoreError(
            url,
            `cannot create the directory ${dirname(file)} (${describeCause(error)})`,
            PATH_HINT,
            { cause: error },
          );
        }
      }
      let database: BetterSqlite3.Database | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          database = new BetterSqlite3(file, { timeout: busyTimeout });
          if (!inMemory) checkSqliteFile(database, file, "store");
          database.pragma(`busy_timeout = ${Math.floor(busyTimeout)}`);
          database.pragma("journal_mode = WAL");
          database.pragma("synchronous = NORMAL");
          // Fails at once on a read-only file or directory rather than at the first write.
          database.exec("BEGIN IMMEDIATE; ROLLBACK;");
          break;
        } catch (thrown) {
          const error = coerceError(thrown);
          database?.close();
          database = undefined;
          if (error instanceof StoreError) throw error;
          // Switching a new file to WAL while another process does the same can answer
          // SQLITE_BUSY without waiting: try again shortly.
          if (
            /SQLITE_BUSY|database is locked/i.test(
              `${(error as { code?: string }).code ?? ""} ${error.message}`,
            ) &&
            attempt < 20
          ) {
            await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 100));
            continue;
          }
          throw new StoreError(
            url,
            `cannot open ${file} for writing (${describeCause(error)})`,
            PATH_HINT,
            { cause: error },
          );
        }
      }
      native = database;
      const opened = database;
      const cached = withStatementCache(database, STORE_DEFAULTS.sqliteStatementCache);
      return new Kysely<Database>({
        dialect: new SqliteDialect({
          database: {
            prepare: (text) => cached.prepare(text),
            close() {
              // The job thread's connection closes after its rounds in flight (sqlite-jobs.ts).
              threadClosed = closeJobThread(opened);
              cached.close();
            },
          },
        }),
      });
    },
    async lockEvents() {
      // SQLite has one writer at a time: seqs already commit in order.
    },
    async notifyIn(trx, channel) {
      await trx
        .insertInto("channel_versions")
        .values({ channel, version: 1 })
        .onConflict((oc) =>
          oc
            .column("channel")
            .doUpdateSet((eb) => ({ version: eb("channel_versions.version", "+", 1) })),
        )
        .execute();
    },
    afterNotify: (channel) => fire(channel),
    createListener: (db) => createPollListener(db, clock, pollInterval, local),
    closed: () => threadClosed ?? Promise.resolve(),
    sqliteDatabase() {
      if (!native) throw new Error(`store ${url} is not open`);
      return native;
    },
    isRetryable: (error) => {
      const code = String((error as { code?: unknown }).code ?? "");
      if (error instanceof TypeError || error instanceof RangeError) return false;
      return !/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE|ERROR)/.test(code);
    },
    describeOpenError: (error) =>
      new StoreError(url, `cannot prepare the schema (${describeCause(error)})`, PATH_HINT, {
        cause: error,
      }),
  };
  return createSqlStore(backend, options);
}

/**
 * Polls `channel_versions` every `interval` ms while anyone listens, and calls the listeners of a
 * channel whose version moved (another process, or this one, notified it). Listeners in this
 * process are also called at once by `afterNotify`.
 */
function createPollListener(
  db: Kysely<Database>,
  clock: Clock,
  interval: number,
  local: Map<string, Set<() => void>>,
): Listener {
  const seen = new Map<string, number>();
  let timer: TimerHandle | undefined;
  let closed = false;

  const versions = async (channels: string[]) => {
    const rows = await db
      .selectFrom("channel_versions")
      .select(["channel", "version"])
      .where("channel", "in", channels)
      .execute();
    return new Map(rows.map((r) => [r.channel, Number(r.version)]));
  };

  const poll = async () => {
    timer = undefined;
    const channels = [...local.keys()].filter((c) => (local.get(c)?.size ?? 0) > 0);
    if (closed || channels.length === 0) return;
    try {
      const current = await versions(channels);
      for (const channel of channels) {
        const version = current.get(channel) ?? 0;
        if (version !== (seen.get(channel) ?? 0)) {
          seen.set(channel, version);
          for (const fn of [...(local.get(channel) ?? [])]) {
            try {
              fn();
            } catch {
              // A listener's error is its own.
            }
          }
        }
      }
    } catch {
      // The next poll tries again.
    }
    schedule();
  };

  const schedule = () => {
    if (closed || timer !== undefined) return;
    timer = clock.setTimeout(() => void poll(), interval);
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    async listen(channel: StoreChannel, onNotify: () => void) {
      if (!seen.has(channel)) {
        try {
          seen.set(channel, (await versions([channel])).get(channel) ?? 0);
        } catch {
          seen.set(channel, 0);
        }
      }
      const set = local.get(channel) ?? new Set();
      local.set(channel, set);
      const fn = () => onNotify();
      set.add(fn);
      schedule();
      return async () => {
        set.delete(fn);
      };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      local.clear();
    },
  };
}
