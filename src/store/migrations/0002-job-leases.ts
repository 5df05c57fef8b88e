import { type Kysely, type Migration, sql } from "kysely";
import type { MigrationDialect } from "./index.js";

/**
 * Jobs under leases (DESIGN.md §7): a flag for cancelling a running job (its worker sees it when it
 * renews the lease), and indexes for reclaiming expired leases and sweeping finished jobs.
 */
export function jobLeases(_dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("jobs")
        .addColumn("cancel_requested", "boolean", (c) => c.notNull().defaultTo(sql`false`))
        .execute();
      await db.schema
        .createIndex("jobs_status_lease")
        .on("jobs")
        .columns(["status", "lease_expires_at"])
        .execute();
      await db.schema
        .createIndex("jobs_status_finished")
        .on("jobs")
        .columns(["status", "finished_at"])
        .execute();
      await db.schema
        .createIndex("jobs_launched_by")
        .on("jobs")
        .columns(["launched_by", "created_at"])
        .execute();
    },
  };
}
