import { type Kysely, type Migration, sql } from "kysely";
import type { MigrationDialect } from "./index.js";

/** The daemon record's times, bigint ms until now; PostgreSQL turns them into `timestamptz`. */
const DAEMON_TIMES = ["started_at", "last_heartbeat_at", "updated_at"] as const;

/**
 * The seeds' health query (DESIGN.md §6): `SELECT name, status, now() - last_heartbeat FROM
 * daemon_status`. On PostgreSQL the daemon record's times become `timestamptz` (existing rows
 * converted); on both backends the view `daemon_status (node_id, name, status, enabled,
 * auto_start, restarts, last_error, started_at, last_heartbeat)` reads `daemons`, with the
 * daemon's state as its status. SQLite keeps ms in the table and shows ISO-8601 text (UTC, with
 * ms) in the view. `nodes` keeps ms: the cluster's lease and liveness arithmetic works on them.
 */
export function daemonStatus(dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === "postgres") {
        // Rewriting the table may take longer than the connection's statement_timeout (5 s).
        await sql`set local statement_timeout = 0`.execute(db);
        const conversions = DAEMON_TIMES.map(
          (c) =>
            sql`alter column ${sql.ref(c)} type timestamptz using to_timestamp(${sql.ref(c)} / 1000.0)`,
        );
        await sql`alter table daemons ${sql.join(conversions)}`.execute(db);
      }
      const time = (column: string) =>
        dialect === "postgres"
          ? sql.ref(column)
          : sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${sql.ref(column)} / 1000.0, 'unixepoch')`;
      await sql`create view daemon_status as
        select node_id, name, state as status, enabled, auto_start, restart_count as restarts,
          last_error, ${time("started_at")} as started_at,
          ${time("last_heartbeat_at")} as last_heartbeat
        from daemons`.execute(db);
    },
  };
}
