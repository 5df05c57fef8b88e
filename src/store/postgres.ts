/**
 * The PostgreSQL backend of the SQL store: a pool with connect and statement timeouts and TCP
 * keep-alive (a silent partition is noticed in seconds), a schema per URL, LISTEN/NOTIFY
 * wake-ups, and which errors are worth retrying.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import { SECOND } from "../registry/duration.js";
import { STORE_DEFAULTS } from "./defaults.js";
import { StoreError } from "./errors.js";
import type { Database } from "./schema.js";
import { describeCause, type Listener, type SqlBackend } from "./sql-backend.js";
import { createSqlStore, type SqlStoreOptions } from "./sql-store.js";
import type { Store, StoreChannel } from "./types.js";

export interface PostgresStoreOptions extends SqlStoreOptions {
  /** The schema holding ringmaster's tables; default `public`. Created if missing. */
  schema?: string;
  connectTimeoutMs?: number;
  /** Longest a statement may run (server) before the client gives up on it too. Default 5 s. */
  statementTimeoutMs?: number;
  poolSize?: number;
}

const INT8_OID = 20;

/** bigint columns (times, seqs, tokens) as numbers: every value ringmaster stores fits in 2^53. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

const CONNECT_HINT =
  "check that PostgreSQL is running and that the URL's host, port, user, password and database are right";

/** SQLSTATE classes that retrying cannot fix: data exceptions, integrity, syntax and access rules. */
const PERMANENT = /^(22|23|42)/;

/**
 * PostgreSQL through a pg Pool; the schema is chosen with `search_path`. Events are appended under
 * a transaction-scoped advisory lock, so seqs commit in seq order; `appendEvents` and `notify`
 * send `NOTIFY`, which a dedicated `LISTEN` connection turns into wake-ups.
 */
export function createPostgresStore(
  url: string,
  connectionString: string,
  options: PostgresStoreOptions,
): Store {
  const schema = options.schema ?? "public";
  const statementTimeout = options.statementTimeoutMs ?? STORE_DEFAULTS.statementTimeout;
  const config: pg.PoolConfig = {
    connectionString,
    max: options.poolSize ?? STORE_DEFAULTS.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? STORE_DEFAULTS.connectTimeout,
    // The server ends a statement after statement_timeout; the client stops waiting a second
    // later (query_timeout), which is what notices a connection that hangs with nothing answering.
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 1 * SECOND,
    idle_in_transaction_session_timeout: STORE_DEFAULTS.idleInTransactionTimeout,
    keepAlive: true,
    keepAliveInitialDelayMillis: STORE_DEFAULTS.keepAliveInitialDelay,
    options: `-c search_path=${quoteIdent(schema)}`,
    application_name: "ringmaster",
    types,
  };
  const channelName = (channel: StoreChannel) => {
    const name = `ringmaster_${schema}_${channel}`.toLowerCase();
    return name.length <= 63 ? name : `ringmaster_${hash(name)}`;
  };
  const lockKey = `ringmaster.events.${schema}`;

  const backend: SqlBackend = {
    kind: "postgres",
    url,
    migrationTableSchema: schema,
    async connect() {
      const pool = new pg.Pool(config);
      // A client losing its connection must not crash the process. Idle clients are reported on
      // the pool; a checked-out client emits "error" on itself (its query also rejects, which is
      // what the store reports). The pool discards broken clients when they are released.
      pool.on("error", () => {});
      pool.on("connect", (client) => client.on("error", () => {}));
      try {
        const client = await pool.connect();
        try {
          if (schema !== "public") {
            await client.query(`create schema if not exists ${quoteIdent(schema)}`).catch((e) => {
              // Two processes creating it at once: one wins, the other finds it there.
              if (!["23505", "42P06"].includes((e as { code?: string }).code ?? "")) throw e;
            });
          }
        } finally {
          client.release();
        }
      } catch (thrown) {
        const error = coerceError(thrown);
        await pool.end().catch(() => {});
        throw new StoreError(url, `cannot connect (${describeCause(error)})`, CONNECT_HINT, {
          cause: error,
        });
      }
      return new Kysely<Database>({
        dialect: new PostgresDialect({ pool: discardingTimedOut(pool) }),
      });
    },
    async migrationDatabase() {
      // One connection on which every statement of the migrations, the migrator's own catalog
      // reads and locks among them, may take up to the migration timeout, on the server and in the
      // client: the store's statement_timeout is for its hot paths (a store opened with 150 ms
      // saw the migrator's first catalog read cancelled on a loaded machine). Everything else
      // keeps the store's timeouts.
      const pool = new pg.Pool({
        ...config,
        max: 1,
        statement_timeout: STORE_DEFAULTS.migrationTimeout,
        query_timeout: STORE_DEFAULTS.migrationTimeout + 1 * SECOND,
      });
      pool.on("error", () => {});
      pool.on("connect", (client) => client.on("error", () => {}));
      return new Kysely<Database>({
        dialect: new PostgresDialect({ pool: discardingTimedOut(pool) }),
      });
    },
    async lockEvents(trx) {
      await sql`select pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
    },
    async notifyIn(trx, channel) {
      await sql`select pg_notify(${channelName(channel)}, '')`.execute(trx);
    },
    notifyExpression: (channel) => sql`pg_notify(${channelName(channel)}, '')`,
    createListener: () =>
      createPgListener(
        { ...config, max: undefined } as pg.ClientConfig,
        channelName,
        options.clock,
      ),
    isRetryable: (error) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && PERMANENT.test(code)) return false;
      return !(error instanceof TypeError || error instanceof RangeError);
    },
    describeOpenError: (error) =>
      new StoreError(
        url,
        `cannot prepare the schema "${schema}" (${describeCause(error)})`,
        CONNECT_HINT,
        {
          cause: error,
        },
      ),
  };
  return createSqlStore(backend, options);
}

/**
 * One dedicated connection that LISTENs on every channel somebody listens to. When it drops it
 * reconnects with backoff (250 ms … 5 s) and then wakes every listener once, since notifications
 * sent meanwhile were lost.
 */
function createPgListener(
  config: pg.ClientConfig,
  channelName: (channel: StoreChannel) => string,
  clock: Clock,
): Listener {
  const retry = STORE_DEFAULTS.listenRetry;
  const handlers = new Map<string, Set<() => void>>(); // by pg channel name
  let client: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let timer: TimerHandle | undefined;
  let delay = retry.initialDelay;
  let closed = false;

  const wake = (name: string) => {
    for (const fn of [...(handlers.get(name) ?? [])]) {
      try {
        fn();
      } catch {
        // A listener's error is its own.
      }
    }
  };

  const scheduleReconnect = () => {
    if (closed || timer !== undefined) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      void connect(true);
    }, delay);
    (timer as { unref?: () => void }).unref?.();
    delay = Math.min(retry.maxDelay, delay * retry.factor);
  };

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => {});
    scheduleReconnect();
  };

  const connect = (wakeAll: boolean): Promise<void> => {
    if (connecting) return connecting;
    connecting = (async () => {
      const c = new pg.Client(config);
      c.on("error", () => lost(c));
      c.on("end", () => lost(c));
      c.on("notification", (msg) => wake(msg.channel));
      try {
        await c.connect();
        for (const name of handlers.keys()) await c.query(`listen ${quoteIdent(name)}`);
        if (closed) {
          await c.end().catch(() => {});
          return;
        }
        client = c;
        delay = retry.initialDelay;
        if (wakeAll) for (const name of handlers.keys()) wake(name);
      } catch {
        c.removeAllListeners("end");
        c.end().catch(() => {});
        scheduleReconnect();
      }
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  return {
    async listen(channel, onNotify) {
      const name = channelName(channel);
      const fn = () => onNotify();
      let set = handlers.get(name);
      if (!set) {
        set = new Set();
        handlers.set(name, set);
        if (connecting) await connecting;
        if (client) {
          await client.query(`listen ${quoteIdent(name)}`).catch(() => {});
        } else {
          await connect(false);
        }
      }
      set.add(fn);
      return async () => {
        set.delete(fn);
      };
    },
    async close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      if (connecting) await connecting;
      const c = client;
      client = undefined;
      handlers.clear();
      if (c) {
        c.removeAllListeners("end");
        await c.end().catch(() => {});
      }
    },
  };
}

/**
 * The pool as Kysely sees it, except that a client whose query timed out on the client side is
 * destroyed when released rather than reused: its connection may still be waiting for the old
 * answer, so the next query on it would hang or read the wrong reply.
 */
function discardingTimedOut(pool: pg.Pool) {
  return {
    async connect() {
      const client = await pool.connect();
      let timedOut = false;
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      return {
        async query(...args: unknown[]) {
          try {
            return await query(...args);
          } catch (error) {
            if (/Query read timeout/.test(String((error as Error)?.message))) timedOut = true;
            throw error;
          }
        },
        release: () => client.release(timedOut ? new Error("query timed out") : undefined),
      };
    },
    end: () => pool.end(),
  } as unknown as pg.Pool;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function hash(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}
