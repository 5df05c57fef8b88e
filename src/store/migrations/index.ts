import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./0001-initial.js";
import { jobLeases } from "./0002-job-leases.js";
import { nodeUrl } from "./0003-node-url.js";
import { cluster } from "./0004-cluster.js";
import { daemonStatus } from "./0005-daemon-status.js";
import { jobStatusIndexes } from "./0006-job-status-indexes.js";

export type MigrationDialect = "sqlite" | "postgres";

/**
 * The schema's migrations, in order. An in-code record rather than a folder scan, so the same
 * list works from source (tsx, vitest) and from the built package. Append only: never edit or
 * reorder a migration that has shipped. The schema version is the number of migrations.
 */
function migrations(dialect: MigrationDialect): Record<string, Migration> {
  return {
    "0001-initial": initial(dialect),
    "0002-job-leases": jobLeases(dialect),
    "0003-node-url": nodeUrl(dialect),
    "0004-cluster": cluster(dialect),
    "0005-daemon-status": daemonStatus(dialect),
    "0006-job-status-indexes": jobStatusIndexes(dialect),
  };
}

export const SCHEMA_VERSION = Object.keys(migrations("sqlite")).length;

export function migrationProvider(dialect: MigrationDialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
