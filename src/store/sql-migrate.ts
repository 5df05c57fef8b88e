/**
 * Bringing a SQL database to this code's schema at open: refusing one written by a newer
 * ringmaster, running Kysely's migrator (retrying the races of processes opening a new file at
 * once, and of other schemas dropped while it introspects PostgreSQL), and recording the schema
 * version.
 */
import { type Kysely, Migrator } from "kysely";
import { coerceError } from "../internal/errors.js";
import { StoreError } from "./errors.js";
import { migrationProvider, SCHEMA_VERSION } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { SqlBackend } from "./sql-backend.js";

/** How often a migration that lost a race to another process is tried again. */
const MIGRATE_ATTEMPTS = 20;

/**
 * Creates or upgrades the schema of `db` to {@link SCHEMA_VERSION}; throws a {@link StoreError}
 * for a database newer than this code, or the migrator's error.
 */
export async function migrateSqlDatabase(db: Kysely<Database>, backend: SqlBackend): Promise<void> {
  await checkVersion(db, backend);
  const migrator = new Migrator({
    db,
    provider: migrationProvider(backend.kind),
    ...(backend.migrationTableSchema ? { migrationTableSchema: backend.migrationTableSchema } : {}),
  });
  // Two processes opening a new SQLite file at once: the loser of the write lock gets
  // SQLITE_BUSY (a deferred transaction cannot wait for it)…
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) break;
    // …or, having read the migration table before the winner committed, finds its tables
    // already made (or the indexes it replaces already dropped): either way, trying again reads the winner's work and finds it done.
    // On a shared PostgreSQL, the migrator's introspection lists every table of every schema and
    // fails (3F000, 42P01, "cache lookup failed") when another schema is dropped meanwhile: that
    // race is not ours either, and the next attempt reads the catalog again.
    const text = `${(error as { code?: string }).code ?? ""} ${String(error)}`;
    const race =
      /SQLITE_BUSY|database is locked|already exists|duplicate column|no such index/i.test(text) ||
      (backend.kind === "postgres" && /^(3F000|42P01) |cache lookup failed/i.test(text));
    if (!race || attempt >= MIGRATE_ATTEMPTS) throw error;
    await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 100));
  }
  await db
    .insertInto("ringmaster_meta")
    .values({ key: "schema_version", value: String(SCHEMA_VERSION) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: String(SCHEMA_VERSION) }))
    .execute();
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
