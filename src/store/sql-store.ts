import { type Kysely, Migrator, type RawBuilder, sql, type Transaction } from "kysely";
import type { DeadLetter } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import { coerceError, describeError } from "../internal/errors.js";
import type { EventEnvelope, LogLevel } from "../registry/types.js";
import { StoreError } from "./errors.js";
import { fromJson, toJson } from "./json.js";
import { migrationProvider, SCHEMA_VERSION } from "./migrations/index.js";
import type { Database } from "./schema.js";
import { sqlJobMethods } from "./sql-jobs.js";
import { createBufferedWrites, type StoreWritesOptions } from "./store-writes.js";
import {
  type DaemonRecord,
  type DaemonSettings,
  LOG_LEVEL_NUMBERS,
  type NodeRecord,
  type Store,
  type StoreChannel,
} from "./types.js";

/** Receives wake-ups for channels; the dialect decides how (NOTIFY, polling). */
export interface Listener {
  listen(channel: StoreChannel, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** What differs between SQLite and PostgreSQL; everything else is one Kysely code path. */
export interface SqlBackend {
  kind: "sqlite" | "postgres";
  url: string;
  /** Opens the database; throws a {@link StoreError} saying what failed. */
  connect(): Promise<Kysely<Database>>;
  /** PostgreSQL: the schema the migrator's own tables live in. */
  migrationTableSchema?: string;
  /** Runs inside the append transaction, first: makes seqs commit in seq order. */
  lockEvents(trx: Transaction<Database>): Promise<void>;
  /** Sends a wake-up on `channel` when `trx` commits. */
  notifyIn(trx: Kysely<Database>, channel: StoreChannel): Promise<void>;
  /** Called after a commit that notified `channel` (in-process listeners). */
  afterNotify?(channel: StoreChannel): void;
  /**
   * An expression that notifies `channel` when the statement selecting it commits, so a write
   * and its wake-up are one statement (PostgreSQL: `pg_notify`). Without it, {@link notifyIn}.
   */
  notifyExpression?(channel: StoreChannel): RawBuilder<unknown>;
  createListener(db: Kysely<Database>): Listener;
  /** False for errors retrying cannot fix (bad data, constraint violations). */
  isRetryable(error: Error): boolean;
  /** Maps a failed migration or version check to a StoreError. */
  describeOpenError(error: Error): StoreError;
}

export interface SqlStoreOptions {
  clock: Clock;
  writes?: Omit<StoreWritesOptions, "clock">;
}

const CHUNK = 200;

function chunks<T>(rows: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

const bool = (value: unknown): boolean => value === true || value === 1 || value === "1";
const boolOrNull = (value: unknown): boolean | null =>
  value === null || value === undefined ? null : bool(value);
const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);

export function createSqlStore(backend: SqlBackend, options: SqlStoreOptions): Store {
  let db: Kysely<Database> | undefined;
  let listener: Listener | undefined;
  let opened = false;
  let closed = false;
  let directError: Error | null = null;

  const need = (): Kysely<Database> => {
    if (!db || closed) throw new Error(`store ${backend.url} is not open`);
    return db;
  };

  /** Runs a direct operation, remembering whether the database answered (for health). */
  const op = async <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> => {
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

  const store: Store = {
    kind: backend.kind,
    url: backend.url,

    async open() {
      if (opened) return;
      db = await backend.connect();
      try {
        await checkVersion(db, backend);
        const migrator = new Migrator({
          db,
          provider: migrationProvider(backend.kind),
          ...(backend.migrationTableSchema
            ? { migrationTableSchema: backend.migrationTableSchema }
            : {}),
        });
        // Two processes opening a new SQLite file at once: the loser of the write lock gets
        // SQLITE_BUSY (a deferred transaction cannot wait for it)…
        for (let attempt = 1; ; attempt++) {
          const { error } = await migrator.migrateToLatest();
          if (!error) break;
          // …or, having read the migration table before the winner committed, finds its tables
          // already made: either way, trying again reads the winner's work and finds it done.
          const busy = /SQLITE_BUSY|database is locked|already exists|duplicate column/i.test(
            `${(error as { code?: string }).code ?? ""} ${String(error)}`,
          );
          if (!busy || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 100));
        }
        await db
          .insertInto("ringmaster_meta")
          .values({ key: "schema_version", value: String(SCHEMA_VERSION) })
          .onConflict((oc) => oc.column("key").doUpdateSet({ value: String(SCHEMA_VERSION) }))
          .execute();
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
      if (closed) return;
      if (opened) await buffered.close().catch(() => 0);
      closed = true;
      await listener?.close().catch(() => {});
      await db?.destroy().catch(() => {});
    },

    health() {
      return buffered.health(opened && !closed, directError);
    },

    get writes() {
      return buffered.writes;
    },

    upsertNode: (node) =>
      op(async (db) => {
        await db
          .insertInto("nodes")
          .values({
            id: node.id,
            host: node.host,
            pid: node.pid,
            profile: node.profile,
            started_at: node.startedAt,
            last_heartbeat_at: node.lastHeartbeatAt,
            url: node.url ?? null,
          })
          .onConflict((oc) =>
            oc.column("id").doUpdateSet((eb) => ({
              host: eb.ref("excluded.host"),
              pid: eb.ref("excluded.pid"),
              profile: eb.ref("excluded.profile"),
              started_at: eb.ref("excluded.started_at"),
              last_heartbeat_at: eb.ref("excluded.last_heartbeat_at"),
              url: eb.ref("excluded.url"),
            })),
          )
          .execute();
      }),

    heartbeatNode: (id, at) =>
      op(async (db) => {
        await db
          .updateTable("nodes")
          .set({ last_heartbeat_at: at })
          .where("id", "=", id)
          .where((eb) =>
            eb.or([eb("last_heartbeat_at", "is", null), eb("last_heartbeat_at", "<", at)]),
          )
          .execute();
      }),

    listNodes: () =>
      op(async (db) => {
        const rows = await db.selectFrom("nodes").selectAll().orderBy("started_at").execute();
        return rows.map(
          (r): NodeRecord => ({
            id: r.id,
            host: r.host,
            pid: num(r.pid),
            profile: r.profile,
            startedAt: num(r.started_at),
            lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
            url: r.url ?? null,
          }),
        );
      }),

    saveDaemons: (records) =>
      op(async (db) => {
        // One row per (node, name) per statement: PostgreSQL refuses to upsert a row twice.
        const latest = new Map<string, DaemonRecord>();
        for (const r of records) {
          const key = `${r.node}\u0000${r.name}`;
          const seen = latest.get(key);
          if (!seen || seen.updatedAt <= r.updatedAt) latest.set(key, r);
        }
        for (const chunk of chunks([...latest.values()])) {
          await db
            .insertInto("daemons")
            .values(
              chunk.map((r) => ({
                node_id: r.node,
                name: r.name,
                state: r.state,
                enabled: r.enabled ? 1 : 0,
                auto_start: r.autoStart ? 1 : 0,
                restart_count: r.restartCount,
                last_error: r.lastError,
                started_at: r.startedAt,
                last_heartbeat_at: r.lastHeartbeatAt,
                heartbeat_details: r.heartbeatDetails === null ? null : toJson(r.heartbeatDetails),
                updated_at: r.updatedAt,
              })),
            )
            .onConflict((oc) =>
              oc
                .columns(["node_id", "name"])
                .doUpdateSet((eb) => ({
                  state: eb.ref("excluded.state"),
                  enabled: eb.ref("excluded.enabled"),
                  auto_start: eb.ref("excluded.auto_start"),
                  restart_count: eb.ref("excluded.restart_count"),
                  last_error: eb.ref("excluded.last_error"),
                  started_at: eb.ref("excluded.started_at"),
                  last_heartbeat_at: eb.ref("excluded.last_heartbeat_at"),
                  heartbeat_details: eb.ref("excluded.heartbeat_details"),
                  updated_at: eb.ref("excluded.updated_at"),
                }))
                .where("daemons.updated_at", "<=", (eb) => eb.ref("excluded.updated_at")),
            )
            .execute();
        }
      }),

    loadDaemons: (node) =>
      op(async (db) => {
        let query = db.selectFrom("daemons").selectAll();
        if (node !== undefined) query = query.where("node_id", "=", node);
        const rows = await query.orderBy("node_id").orderBy("name").execute();
        return rows.map(
          (r): DaemonRecord => ({
            name: r.name,
            node: r.node_id,
            state: r.state,
            enabled: bool(r.enabled),
            autoStart: bool(r.auto_start),
            restartCount: num(r.restart_count),
            lastError: r.last_error,
            startedAt: numOrNull(r.started_at),
            lastHeartbeatAt: numOrNull(r.last_heartbeat_at),
            heartbeatDetails: fromJson(r.heartbeat_details) as Record<string, unknown> | null,
            updatedAt: num(r.updated_at),
          }),
        );
      }),

    setDaemonSettings: (name, patch, at) =>
      op(async (db) => {
        const flag = (v: boolean | null | undefined) =>
          v === undefined || v === null ? null : v ? 1 : 0;
        const overrides =
          patch.configOverrides === undefined || patch.configOverrides === null
            ? null
            : toJson(patch.configOverrides);
        await db
          .insertInto("daemon_settings")
          .values({
            name,
            enabled: flag(patch.enabled),
            auto_start: flag(patch.autoStart),
            config_overrides: overrides,
            updated_at: at,
          })
          .onConflict((oc) =>
            oc.column("name").doUpdateSet({
              updated_at: at,
              ...(patch.enabled !== undefined ? { enabled: flag(patch.enabled) } : {}),
              ...(patch.autoStart !== undefined ? { auto_start: flag(patch.autoStart) } : {}),
              ...(patch.configOverrides !== undefined ? { config_overrides: overrides } : {}),
            }),
          )
          .execute();
        const row = await db
          .selectFrom("daemon_settings")
          .selectAll()
          .where("name", "=", name)
          .executeTakeFirstOrThrow();
        return settingsFromRow(row);
      }),

    loadDaemonSettings: () =>
      op(async (db) => {
        const rows = await db.selectFrom("daemon_settings").selectAll().orderBy("name").execute();
        return rows.map(settingsFromRow);
      }),

    appendLogs: (rows) =>
      op(async (db) => {
        for (const chunk of chunks(rows)) {
          await db
            .insertInto("daemon_logs")
            .values(
              chunk.map((r) => ({
                time: r.time,
                daemon: r.daemon,
                node_id: r.node ?? null,
                level: r.level,
                level_no: LOG_LEVEL_NUMBERS[r.level] ?? LOG_LEVEL_NUMBERS.info,
                message: String(r.message),
                fields: r.fields && Object.keys(r.fields).length > 0 ? toJson(r.fields) : null,
              })),
            )
            .execute();
        }
      }),

    queryLogs: (query = {}) =>
      op(async (db) => {
        const order = query.order ?? "desc";
        let q = db.selectFrom("daemon_logs").selectAll();
        if (query.daemon !== undefined) q = q.where("daemon", "=", query.daemon);
        if (query.level !== undefined)
          q = q.where("level_no", ">=", LOG_LEVEL_NUMBERS[query.level]);
        if (query.since !== undefined) q = q.where("time", ">=", query.since);
        if (query.until !== undefined) q = q.where("time", "<", query.until);
        const rows = await q
          .orderBy("time", order)
          .orderBy("id", order)
          .limit(query.limit ?? 1000)
          .execute();
        return rows.map((r) => ({
          id: num(r.id),
          time: num(r.time),
          daemon: r.daemon,
          level: r.level as LogLevel,
          message: r.message,
          fields: (fromJson(r.fields) as Record<string, unknown> | null) ?? {},
          node: r.node_id,
        }));
      }),

    trimEvents: ({ maxAgeMs, now }) =>
      op(async (db) => {
        if (!Number.isFinite(maxAgeMs)) return 0;
        const cursor = await db
          .selectFrom("subscriber_cursors")
          .select((eb) => eb.fn.min("seq").as("low"))
          .executeTakeFirst();
        let del = db.deleteFrom("events").where("time", "<", now - maxAgeMs);
        if (cursor?.low !== null && cursor?.low !== undefined) {
          del = del.where("seq", "<=", Number(cursor.low));
        }
        const result = await del.executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    trimLogs: ({ maxRowsPerDaemon, maxAgeMs, now }) =>
      op(async (db) => {
        let removed = 0;
        if (Number.isFinite(maxAgeMs)) {
          const result = await db
            .deleteFrom("daemon_logs")
            .where("time", "<", now - maxAgeMs)
            .executeTakeFirst();
          removed += Number(result.numDeletedRows);
        }
        if (Number.isFinite(maxRowsPerDaemon)) {
          const keep = Math.max(0, Math.floor(maxRowsPerDaemon));
          const daemons = await db
            .selectFrom("daemon_logs")
            .select("daemon")
            .groupBy("daemon")
            .having((eb) => eb.fn.countAll(), ">", keep)
            .execute();
          for (const { daemon } of daemons) {
            // Keep the newest `keep` rows (by id, the insertion order).
            let del = db.deleteFrom("daemon_logs").where("daemon", "=", daemon);
            if (keep > 0) {
              del = del.where("id", "<=", (eb) =>
                eb
                  .selectFrom("daemon_logs")
                  .select("id")
                  .where("daemon", "=", daemon)
                  .orderBy("id", "desc")
                  .limit(1)
                  .offset(keep),
              );
            }
            const result = await del.executeTakeFirst();
            removed += Number(result.numDeletedRows);
          }
        }
        return removed;
      }),

    appendEvents: (events) =>
      op(async (db) => {
        if (events.length === 0) return [];
        const seqs = await db.transaction().execute(async (trx) => {
          await backend.lockEvents(trx);
          const byId = new Map<string, number>();
          for (const chunk of chunks(events, 100)) {
            const inserted = await trx
              .insertInto("events")
              .values(
                chunk.map((e) => ({
                  id: e.id,
                  type: e.type,
                  payload: toJson(e.payload),
                  source: e.source,
                  time: e.time,
                })),
              )
              .onConflict((oc) => oc.column("id").doNothing())
              .returning(["seq", "id"])
              .execute();
            for (const row of inserted) byId.set(row.id, num(row.seq));
          }
          const missing = events.map((e) => e.id).filter((id) => !byId.has(id));
          for (const chunk of chunks([...new Set(missing)])) {
            const rows = await trx
              .selectFrom("events")
              .select(["seq", "id"])
              .where("id", "in", chunk)
              .execute();
            for (const row of rows) byId.set(row.id, num(row.seq));
          }
          await backend.notifyIn(trx, "events");
          return events.map((e) => byId.get(e.id) as number);
        });
        backend.afterNotify?.("events");
        return seqs;
      }),

    readEvents: ({ afterSeq, types, limit }) =>
      op(async (db) => {
        if (types && types.length === 0) return [];
        let q = db.selectFrom("events").selectAll().where("seq", ">", afterSeq);
        if (types) q = q.where("type", "in", [...types]);
        const rows = await q.orderBy("seq").limit(limit).execute();
        return rows.map(
          (r): EventEnvelope<string> => ({
            id: r.id,
            type: r.type,
            payload: fromJson(r.payload) as never,
            source: r.source,
            time: num(r.time),
            seq: num(r.seq),
          }),
        );
      }),

    getCursor: (subscriber) =>
      op(async (db) => {
        const row = await db
          .selectFrom("subscriber_cursors")
          .select("seq")
          .where("subscriber", "=", subscriber)
          .executeTakeFirst();
        return row ? num(row.seq) : 0;
      }),

    setCursor: (subscriber, seq) =>
      op(async (db) => {
        const at = options.clock.now();
        await db
          .insertInto("subscriber_cursors")
          .values({ subscriber, seq, updated_at: at })
          .onConflict((oc) =>
            oc
              .column("subscriber")
              .doUpdateSet((eb) => ({
                seq: eb.ref("excluded.seq"),
                updated_at: eb.ref("excluded.updated_at"),
              }))
              .where("subscriber_cursors.seq", "<", (eb) => eb.ref("excluded.seq")),
          )
          .execute();
      }),

    addDeadLetter: (letter) =>
      op(async (db) => {
        await db
          .insertInto("dead_letters")
          .values({
            id: letter.id,
            subscriber: letter.subscriber,
            reason: letter.reason,
            error: letter.error,
            attempts: letter.attempts,
            at: letter.at,
            event_id: letter.event.id,
            event: toJson(letter.event),
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .execute();
      }),

    listDeadLetters: (query = {}) =>
      op(async (db) => {
        let q = db.selectFrom("dead_letters").selectAll();
        if (query.subscriber !== undefined) q = q.where("subscriber", "=", query.subscriber);
        const rows = await q
          .orderBy("at")
          .orderBy("id")
          .limit(query.limit ?? 1000)
          .execute();
        return rows.map(
          (r): DeadLetter => ({
            id: r.id,
            subscriber: r.subscriber,
            reason: r.reason as DeadLetter["reason"],
            error: r.error,
            attempts: num(r.attempts),
            at: num(r.at),
            event: fromJson(r.event) as EventEnvelope<string>,
          }),
        );
      }),

    removeDeadLetter: (id) =>
      op(async (db) => {
        const result = await db.deleteFrom("dead_letters").where("id", "=", id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      }),

    acquireLease: (name, holder, ttlMs, now) =>
      op(async (db) => {
        const held = sql<boolean>`leases.holder = ${holder} and leases.expires_at > ${now}`;
        const row = await db
          .insertInto("leases")
          .values({ name, holder, token: 1, expires_at: now + ttlMs, acquired_at: now })
          .onConflict((oc) =>
            oc
              .column("name")
              .doUpdateSet({
                holder,
                expires_at: now + ttlMs,
                // Same holder, still valid: same token. Anyone else (or after expiry): a greater one.
                token: sql<number>`case when ${held} then leases.token else leases.token + 1 end`,
                acquired_at: sql<number>`case when ${held} then leases.acquired_at else ${now} end`,
              })
              .where((eb) =>
                eb.or([eb("leases.holder", "=", holder), eb("leases.expires_at", "<=", now)]),
              ),
          )
          .returning("token")
          .executeTakeFirst();
        return row ? num(row.token) : null;
      }),

    renewLease: (name, holder, token, ttlMs, now) =>
      op(async (db) => {
        const result = await db
          .updateTable("leases")
          .set({ expires_at: now + ttlMs })
          .where("name", "=", name)
          .where("holder", "=", holder)
          .where("token", "=", token)
          .where("expires_at", ">", now)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    releaseLease: (name, holder, token) =>
      op(async (db) => {
        const result = await db
          .updateTable("leases")
          .set({ expires_at: 0 })
          .where("name", "=", name)
          .where("holder", "=", holder)
          .where("token", "=", token)
          .where("expires_at", ">", 0)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      }),

    getLease: (name) =>
      op(async (db) => {
        const row = await db
          .selectFrom("leases")
          .selectAll()
          .where("name", "=", name)
          .executeTakeFirst();
        return row
          ? {
              name: row.name,
              holder: row.holder,
              token: num(row.token),
              expiresAt: num(row.expires_at),
            }
          : null;
      }),

    ...sqlJobMethods(backend.kind, op, {
      ...(backend.notifyExpression ? { expression: backend.notifyExpression } : {}),
      inTransaction: (trx, channel) => backend.notifyIn(trx, channel),
      after: (channel) => backend.afterNotify?.(channel),
    }),

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

  const buffered = createBufferedWrites(
    store,
    { clock: options.clock, ...options.writes },
    (error) => backend.isRetryable(error),
  );

  return store;
}

function settingsFromRow(row: Database["daemon_settings"]): DaemonSettings {
  return {
    name: row.name,
    enabled: boolOrNull(row.enabled),
    autoStart: boolOrNull(row.auto_start),
    configOverrides: fromJson(row.config_overrides) as Record<string, unknown> | null,
    updatedAt: num(row.updated_at),
  };
}

/** Refuses a database whose schema is newer than this code's, before the migrator touches it. */
async function checkVersion(db: Kysely<Database>, backend: SqlBackend): Promise<void> {
  // A direct read rather than introspection: listing every table of a shared PostgreSQL races
  // with other schemas being created and dropped.
  let row: { value: string } | undefined;
  try {
    row = await db
      .selectFrom("ringmaster_meta")
      .select("value")
      .where("key", "=", "schema_version")
      .executeTakeFirst();
  } catch (thrown) {
    const error = coerceError(thrown);
    if (/does not exist|no such table/i.test(error.message)) return; // a new database
    throw error;
  }
  const found = row ? Number(row.value) : 0;
  if (found > SCHEMA_VERSION) {
    throw new StoreError(
      backend.url,
      `the database has schema version ${found}, written by a newer ringmaster; this ringmaster knows schema version ${SCHEMA_VERSION}`,
      "upgrade ringmaster, or point it at another database",
    );
  }
}

export function describeCause(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const text = describeError(error);
  return typeof code === "string" && !text.includes(code) ? `${text} [${code}]` : text;
}
