import type { Kysely, Migration } from "kysely";
import type { MigrationDialect } from "./index.js";

/**
 * Cluster membership and leases (DESIGN.md §8). `nodes` gains the process instance that owns the
 * row (so a second live process with the same node id is refused and a stale one cannot heartbeat
 * it), when it left cleanly, and the cluster daemons it is a candidate for (placement reads them).
 * `leases` already has `(name, holder, token, expires_at)`; renewing all of a node's leases at once
 * looks them up by holder. Per-node event cursors need no table: they are `subscriber_cursors`
 * rows keyed `<subscriber>@<node>`, so event retention already waits for them.
 */
export function cluster(_dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("nodes").addColumn("instance", "text").execute();
      await db.schema.alterTable("nodes").addColumn("stopped_at", "bigint").execute();
      await db.schema.alterTable("nodes").addColumn("candidates", "text").execute();
      await db.schema.createIndex("leases_holder").on("leases").column("holder").execute();
    },
  };
}
