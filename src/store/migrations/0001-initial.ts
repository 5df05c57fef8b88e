import { type CreateTableBuilder, type Kysely, type Migration, sql } from "kysely";
import type { MigrationDialect } from "./index.js";

/**
 * The first schema: every table of DESIGN.md §6, including the jobs tables (§7) and leases (§8),
 * so later features add columns rather than tables.
 */
type WithSerial = <T extends string>(
  table: CreateTableBuilder<T, never>,
  name: string,
) => CreateTableBuilder<T, never>;

export function initial(dialect: MigrationDialect): Migration {
  // An ever-increasing integer key: SQLite's AUTOINCREMENT never reuses a deleted key.
  const withSerial: WithSerial = (table, name) =>
    dialect === "postgres"
      ? table.addColumn(name, "bigserial", (c) => c.primaryKey())
      : table.addColumn(name, "integer", (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>) {
      await nodeAndDaemonTables(db, withSerial);
      await eventTables(db, withSerial);
      await jobAndLeaseTables(db, withSerial);
    },
  };
}

/** The schema's meta row, nodes, daemon records, operator settings and daemon logs. */
async function nodeAndDaemonTables(db: Kysely<unknown>, withSerial: WithSerial): Promise<void> {
  await db.schema
    .createTable("ringmaster_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("nodes")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("profile", "text")
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("last_heartbeat_at", "bigint")
    .execute();

  await db.schema
    .createTable("daemons")
    .addColumn("node_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("enabled", "boolean", (c) => c.notNull())
    .addColumn("auto_start", "boolean", (c) => c.notNull())
    .addColumn("restart_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("started_at", "bigint")
    .addColumn("last_heartbeat_at", "bigint")
    .addColumn("heartbeat_details", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("daemons_pkey", ["node_id", "name"])
    .execute();
  await db.schema.createIndex("daemons_name").on("daemons").column("name").execute();

  await db.schema
    .createTable("daemon_settings")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("enabled", "boolean")
    .addColumn("auto_start", "boolean")
    .addColumn("config_overrides", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await withSerial(db.schema.createTable("daemon_logs"), "id")
    .addColumn("time", "bigint", (c) => c.notNull())
    .addColumn("daemon", "text", (c) => c.notNull())
    .addColumn("node_id", "text")
    .addColumn("level", "text", (c) => c.notNull())
    .addColumn("level_no", "integer", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("fields", "text")
    .execute();
  await db.schema
    .createIndex("daemon_logs_daemon_time")
    .on("daemon_logs")
    .columns(["daemon", "time"])
    .execute();
  await db.schema.createIndex("daemon_logs_time").on("daemon_logs").column("time").execute();
}

/** Events, subscriber cursors and dead letters. */
async function eventTables(db: Kysely<unknown>, withSerial: WithSerial): Promise<void> {
  await withSerial(db.schema.createTable("events"), "seq")
    .addColumn("id", "text", (c) => c.notNull().unique())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("time", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_type_seq").on("events").columns(["type", "seq"]).execute();

  await db.schema
    .createTable("subscriber_cursors")
    .addColumn("subscriber", "text", (c) => c.primaryKey())
    .addColumn("seq", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("dead_letters")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("subscriber", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("error", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("dead_letters_subscriber_at")
    .on("dead_letters")
    .columns(["subscriber", "at"])
    .execute();
}

/** Jobs and their actions, leases, and the change counters of the listen channels. */
async function jobAndLeaseTables(db: Kysely<unknown>, withSerial: WithSerial): Promise<void> {
  await db.schema
    .createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("run_at", "bigint", (c) => c.notNull())
    .addColumn("dedup_key", "text")
    .addColumn("progress", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("progress_message", "text")
    .addColumn("launched_by", "text")
    .addColumn("reason", "text")
    .addColumn("locked_by", "text")
    .addColumn("lease_expires_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .execute();
  // The claim query: pending jobs of some types, by priority then due time.
  await db.schema
    .createIndex("jobs_claim")
    .on("jobs")
    .columns(["status", "type", "priority", "run_at"])
    .execute();
  // At most one live job per dedup key; finished jobs free the key.
  await db.schema
    .createIndex("jobs_dedup_key_live")
    .unique()
    .on("jobs")
    .column("dedup_key")
    .where(sql<boolean>`status in ('pending', 'running')`)
    .execute();

  await withSerial(db.schema.createTable("job_actions"), "id")
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("daemon", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("at", "bigint", (c) => c.notNull())
    .addColumn("node_id", "text")
    .execute();
  await db.schema.createIndex("job_actions_job").on("job_actions").column("job_id").execute();
  await db.schema
    .createIndex("job_actions_daemon_at")
    .on("job_actions")
    .columns(["daemon", "at"])
    .execute();

  await db.schema
    .createTable("leases")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("token", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("acquired_at", "bigint", (c) => c.notNull())
    .execute();

  // SQLite's cross-process wake-ups: listeners poll these versions (PostgreSQL uses NOTIFY).
  await db.schema
    .createTable("channel_versions")
    .addColumn("channel", "text", (c) => c.primaryKey())
    .addColumn("version", "bigint", (c) => c.notNull())
    .execute();
}
