import { type Kysely, type Migration, sql } from "kysely";
import type { MigrationDialect } from "./index.js";

/**
 * The `jobs` indexes keyed on status become partial indexes, one per status they serve, so a
 * status change writes only the index entries of the status the row enters (plus the primary key
 * and `jobs_launched_by`) instead of an entry in every index: a job's claim and finish touched six
 * indexes each, now four and three. `jobs_pending` serves the claim (pending jobs of a type by
 * priority then due time), `jobs_running_lease` the reclaim of expired leases, `jobs_finished`
 * the retention sweep; each also serves listing jobs of its status. Live dedup keys stay unique,
 * now indexed only where a key is set (most jobs have none).
 */
export function jobStatusIndexes(dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Building indexes over a large table may take longer than statement_timeout (5 s).
      if (dialect === "postgres") await sql`set local statement_timeout = 0`.execute(db);
      for (const old of [
        "jobs_claim",
        "jobs_status_lease",
        "jobs_status_finished",
        "jobs_dedup_key_live",
      ])
        await db.schema.dropIndex(old).execute();
      await db.schema
        .createIndex("jobs_pending")
        .on("jobs")
        .columns(["type", "priority", "run_at"])
        .where(sql<boolean>`status = 'pending'`)
        .execute();
      await db.schema
        .createIndex("jobs_running_lease")
        .on("jobs")
        .column("lease_expires_at")
        .where(sql<boolean>`status = 'running'`)
        .execute();
      await db.schema
        .createIndex("jobs_finished")
        .on("jobs")
        .column("finished_at")
        .where(sql<boolean>`status in ('completed', 'failed', 'cancelled')`)
        .execute();
      await db.schema
        .createIndex("jobs_dedup_key_live")
        .unique()
        .on("jobs")
        .column("dedup_key")
        .where(sql<boolean>`dedup_key is not null and status in ('pending', 'running')`)
        .execute();
    },
  };
}
