// Migration 0006 (issue 17): the jobs indexes keyed on status became partial indexes per status.
// A database an older ringmaster wrote keeps working after the upgrade: its pending jobs are
// claimed by priority then due time, a live dedup key stays unique, and finished jobs past the
// retention are swept.
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { migrationProvider } from "../../src/store/migrations/index.js";
import type { Database } from "../../src/store/schema.js";
import type { NewJob } from "../../src/store/types.js";
import { PG_URL, postgresAvailable, testDatabase } from "./helpers/databases.js";

const hasPostgres = await postgresAvailable();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const T0 = Date.UTC(2026, 5, 1);

/** A Kysely handle on the database, outside the store, migrated up to `last` only. */
async function olderSchema(db: ReturnType<typeof testDatabase>, last: string) {
  let handle: Kysely<Database>;
  if (db.kind === "sqlite") {
    const file = db.url.slice("sqlite:".length);
    handle = new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
  } else {
    await db.exec(`create schema if not exists "${db.options.schema}"`);
    const pool = new pg.Pool({
      connectionString: PG_URL,
      options: `-c search_path=${db.options.schema}`,
    });
    handle = new Kysely({ dialect: new PostgresDialect({ pool }) });
  }
  const migrator = new Migrator({
    db: handle,
    provider: migrationProvider(db.kind as "sqlite" | "postgres"),
    ...(db.kind === "postgres" ? { migrationTableSchema: db.options.schema as string } : {}),
  });
  const { error } = await migrator.migrateTo(last);
  expect(error).toBeUndefined();
  return handle;
}

const row = (id: string, fields: Partial<Database["jobs"]>) => ({
  id,
  type: "thumb",
  status: "pending",
  payload: "{}",
  priority: 0,
  attempts: 0,
  max_attempts: 3,
  run_at: T0,
  progress: 0,
  created_at: T0,
  updated_at: T0,
  ...fields,
});

describe.each(["sqlite", "postgres"] as const)(
  "jobs indexes after migration 0006 on %s",
  (kind) => {
    it.skipIf(kind === "postgres" && !hasPostgres)(
      "keep an older schema's jobs: claimed by priority then due time, dedup keys unique, finished ones swept",
      async () => {
        const db = testDatabase(kind);
        cleanups.push(() => db.drop());
        const old = await olderSchema(db, "0005-daemon-status");
        await old
          .insertInto("jobs")
          .values([
            row("low", { priority: 0, run_at: T0 }),
            row("high-late", { priority: 5, run_at: T0 + 20 }),
            row("high-early", { priority: 5, run_at: T0 + 10, dedup_key: "file-1" }),
            row("not-due", { priority: 9, run_at: T0 + 60_000 }),
            row("done", { status: "completed", attempts: 1, finished_at: T0 - 1000 }),
          ] as never)
          .execute();
        await old.destroy();

        const store = db.store();
        await store.open();
        cleanups.push(() => store.close());
        const again: NewJob = {
          id: "another",
          type: "thumb",
          payload: {},
          priority: 0,
          maxAttempts: 3,
          runAt: T0,
          dedupKey: "file-1",
          launchedBy: "scanner",
          reason: "again",
          now: T0 + 30,
        };
        const action = {
          daemon: "scanner",
          action: "launched" as const,
          reason: "again",
          at: T0,
          node: "n1",
        };
        const hit = await store.launchJob(again, action);
        expect([hit.created, hit.job.id]).toEqual([false, "high-early"]);

        const now = T0 + 100;
        const claimed = await store.claimJobs({
          slots: { thumb: 10 },
          worker: "w",
          leaseMs: 1000,
          now,
        });
        expect(claimed.map((job) => job.id)).toEqual(["high-early", "high-late", "low"]);
        expect(claimed.every((job) => job.status === "running" && job.lockedBy === "w")).toBe(true);

        // Expired leases are found through the running jobs' index.
        expect((await store.reclaimJobs(now + 2000)).map((job) => job.id).sort()).toEqual([
          "high-early",
          "high-late",
          "low",
        ]);
        expect(await store.sweepJobs(T0)).toBe(1);
        expect(await store.getJob("done")).toBeNull();
        expect((await store.listJobs({ status: "pending" })).map((job) => job.id).sort()).toEqual([
          "high-early",
          "high-late",
          "low",
          "not-due",
        ]);
      },
    );
  },
);
