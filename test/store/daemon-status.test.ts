// The daemon record for the seeds' SQL (issue 15, item 1; DESIGN.md §6): on PostgreSQL its times
// are timestamptz and the view daemon_status answers the media library's health query while a
// manager runs; SQLite has the same view with ISO-8601 text times; migration 0005 converts the
// bigint ms an older ringmaster wrote.
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { createManager, createManualClock, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { inspectManager } from "../../src/manager/internal-access.js";
import { migrationProvider, SCHEMA_VERSION } from "../../src/store/migrations/index.js";
import type { Database } from "../../src/store/schema.js";
import { PG_URL, postgresAvailable, type TestDatabase, testDatabase } from "./helpers/databases.js";

const hasPostgres = await postgresAvailable();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function database(kind: "sqlite" | "postgres"): TestDatabase {
  const db = testDatabase(kind);
  cleanups.push(() => db.drop());
  return db;
}

const sqlitePath = (db: TestDatabase) => db.url.slice("sqlite:".length);

/** Runs `text` on the test database outside the store and returns its rows. */
async function query(db: TestDatabase, text: string): Promise<Array<Record<string, unknown>>> {
  if (db.kind === "sqlite") {
    const handle = new BetterSqlite3(sqlitePath(db), { readonly: true });
    try {
      return handle.prepare(text).all() as Array<Record<string, unknown>>;
    } finally {
      handle.close();
    }
  }
  const client = new pg.Client({
    connectionString: PG_URL,
    options: `-c search_path=${db.options.schema}`,
  });
  await client.connect();
  try {
    return (await client.query({ text, rowMode: "array" })).rows.map((row: unknown[]) =>
      Object.fromEntries(row.map((value, i) => [String(i), value])),
    );
  } finally {
    await client.end();
  }
}

/** A Kysely handle on the test database, outside the store (to build an older schema). */
async function kyselyOn(db: TestDatabase): Promise<Kysely<Database>> {
  if (db.kind === "sqlite") {
    return new Kysely({
      dialect: new SqliteDialect({ database: new BetterSqlite3(sqlitePath(db)) }),
    });
  }
  await db.exec(`create schema if not exists "${db.options.schema}"`);
  const pool = new pg.Pool({
    connectionString: PG_URL,
    options: `-c search_path=${db.options.schema}`,
  });
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}

describe.each(["sqlite", "postgres"] as const)("daemon_status on %s", (kind) => {
  const skip = kind === "postgres" && !hasPostgres;

  it.skipIf(skip)("answers the seeds' health query while a manager runs", async () => {
    const db = database(kind);
    // A minute behind real time, so now() - last_heartbeat is about a minute.
    const clock = createManualClock(Date.now() - 60_000);
    const watcher = defineDaemon({
      name: "node_watcher",
      async run(ctx) {
        ctx.heartbeat({ nodes: 3 });
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const idle = defineDaemon({ name: "idle_sync", autoStart: false });
    const url = kind === "postgres" ? `${db.url}?schema=${db.options.schema}` : db.url;
    const manager = createManager(defineConfig({ daemons: [watcher, idle], store: url }), {
      clock,
      logger: false,
      env: {},
    });
    await manager.start();
    cleanups.push(() => manager.shutdown().then(() => {}));
    await inspectManager(manager).store?.writes.flush();
    const beat = manager.status("node_watcher").lastHeartbeatAt as number;
    expect(beat).toBe(clock.now());

    if (kind === "postgres") {
      // The media library's query, word for word but for the view's name.
      const rows = await query(
        db,
        "SELECT name, status, last_heartbeat, NOW() - last_heartbeat FROM daemon_status ORDER BY name",
      );
      expect(rows.map((r) => [r[0], r[1]])).toEqual([
        ["idle_sync", "stopped"],
        ["node_watcher", "running"],
      ]);
      expect(rows[0]?.[2]).toBeNull();
      expect(rows[1]?.[2]).toEqual(new Date(beat));
      expect(rows[1]?.[3]).toMatchObject({ minutes: 1 });
      const [age] = await query(
        db,
        "SELECT extract(epoch from now() - last_heartbeat) FROM daemon_status WHERE name = 'node_watcher'",
      );
      expect(Number(age?.[0])).toBeGreaterThanOrEqual(60);
      expect(Number(age?.[0])).toBeLessThan(120);
    } else {
      const rows = await query(
        db,
        "SELECT name, status, last_heartbeat, (julianday('now') - julianday(last_heartbeat)) * 86400 AS age FROM daemon_status ORDER BY name",
      );
      expect(rows.map((r) => [r.name, r.status, r.last_heartbeat])).toEqual([
        ["idle_sync", "stopped", null],
        ["node_watcher", "running", new Date(beat).toISOString()],
      ]);
      expect(rows[1]?.age).toBeGreaterThanOrEqual(59);
      expect(rows[1]?.age).toBeLessThan(120);
    }
    const [columns] = await query(
      db,
      "SELECT node_id, name, status, enabled, auto_start, restarts, last_error, started_at, last_heartbeat FROM daemon_status WHERE name = 'node_watcher'",
    );
    expect(Object.values(columns ?? {})).toHaveLength(9);
  });

  it.skipIf(skip)("migrates daemon records an older schema stored as bigint ms", async () => {
    const db = database(kind);
    const old = await kyselyOn(db);
    const migrator = new Migrator({
      db: old,
      provider: migrationProvider(kind),
      ...(kind === "postgres" ? { migrationTableSchema: db.options.schema as string } : {}),
    });
    const { error } = await migrator.migrateTo("0004-cluster");
    expect(error).toBeUndefined();
    const started = Date.UTC(2026, 5, 1, 12, 0, 0, 123);
    const row = {
      node_id: "host-1",
      enabled: 1,
      auto_start: 1,
      restart_count: 2,
      last_error: "boom",
      heartbeat_details: '{"n":7}',
    };
    await old
      .insertInto("daemons")
      .values([
        {
          ...row,
          name: "auto_sync",
          state: "running",
          started_at: started,
          last_heartbeat_at: started + 4_567,
          updated_at: started + 5_001,
        },
        {
          ...row,
          name: "never_started",
          state: "stopped",
          started_at: null,
          last_heartbeat_at: null,
          updated_at: started,
        },
      ])
      .execute();
    await old.destroy();

    const store = db.store();
    await store.open();
    cleanups.push(() => store.close());
    expect(await store.loadDaemons()).toEqual([
      {
        name: "auto_sync",
        node: "host-1",
        state: "running",
        enabled: true,
        autoStart: true,
        restartCount: 2,
        lastError: "boom",
        startedAt: started,
        lastHeartbeatAt: started + 4_567,
        heartbeatDetails: { n: 7 },
        updatedAt: started + 5_001,
      },
      {
        name: "never_started",
        node: "host-1",
        state: "stopped",
        enabled: true,
        autoStart: true,
        restartCount: 2,
        lastError: "boom",
        startedAt: null,
        lastHeartbeatAt: null,
        heartbeatDetails: { n: 7 },
        updatedAt: started,
      },
    ]);
    const [version] = await query(
      db,
      "SELECT value FROM ringmaster_meta WHERE key = 'schema_version'",
    );
    expect(Object.values(version ?? {})).toEqual([String(SCHEMA_VERSION)]);

    if (kind === "postgres") {
      const types = await query(
        db,
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = '${db.options.schema}' AND table_name = 'daemons'
           AND column_name IN ('started_at', 'last_heartbeat_at', 'updated_at')
         ORDER BY column_name`,
      );
      expect(types.map((t) => [t[0], t[1]])).toEqual([
        ["last_heartbeat_at", "timestamp with time zone"],
        ["started_at", "timestamp with time zone"],
        ["updated_at", "timestamp with time zone"],
      ]);
      const [view] = await query(
        db,
        "SELECT started_at, last_heartbeat FROM daemon_status WHERE name = 'auto_sync'",
      );
      expect([view?.[0], view?.[1]]).toEqual([new Date(started), new Date(started + 4_567)]);
    } else {
      const [view] = await query(
        db,
        "SELECT started_at, last_heartbeat FROM daemon_status WHERE name = 'auto_sync'",
      );
      expect(view).toEqual({
        started_at: "2026-06-01T12:00:00.123Z",
        last_heartbeat: "2026-06-01T12:00:04.690Z",
      });
    }

    // An older record never overwrites a newer one after the conversion either.
    const [current] = await store.loadDaemons();
    if (!current) throw new Error("no record");
    await store.saveDaemons([{ ...current, state: "stopped", updatedAt: started + 5_000 }]);
    expect((await store.loadDaemons())[0]?.state).toBe("running");
  });

  it.runIf(kind === "postgres" && hasPostgres)(
    "converts a table too big for the connection's statement timeout",
    async () => {
      const db = database(kind);
      const old = await kyselyOn(db);
      const migrator = new Migrator({
        db: old,
        provider: migrationProvider(kind),
        migrationTableSchema: db.options.schema as string,
      });
      expect((await migrator.migrateTo("0004-cluster")).error).toBeUndefined();
      await db.exec(`insert into daemons (node_id, name, state, enabled, auto_start, updated_at)
        select 'host-' || i, 'daemon_' || i, 'stopped', true, true, 1767225600000 + i
        from generate_series(1, 300000) as i`);
      await old.destroy();
      // Every statement of the store gets 150 ms; rewriting 300,000 rows takes longer.
      const store = db.store({ statementTimeoutMs: 150 });
      await store.open();
      cleanups.push(() => store.close());
      const [count] = await query(db, "SELECT count(*) FROM daemon_status");
      expect([Number(count?.[0])]).toEqual([300_000]);
      const [last] = await query(db, "SELECT max(updated_at) FROM daemons");
      expect(last?.[0]).toEqual(new Date(1767225600000 + 300_000));
    },
  );
});
