import type { Kysely, Migration } from "kysely";
import type { MigrationDialect } from "./index.js";

/** Each node's HTTP address, so the CLI can find a running manager from the store. */
export function nodeUrl(_dialect: MigrationDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("nodes").addColumn("url", "text").execute();
    },
  };
}
