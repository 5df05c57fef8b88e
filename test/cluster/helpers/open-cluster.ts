import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import type { ClusterStore } from "../../../src/store/cluster-types.js";
import { memoryClusterMethods } from "../../../src/store/memory-cluster.js";
import { createStore } from "../../../src/store/open.js";
import type { Database } from "../../../src/store/schema.js";
import { sqlClusterMethods } from "../../../src/store/sql-cluster.js";
import type { Store } from "../../../src/store/types.js";

/** Where a cluster store lives: the same URL and schema the test database uses. */
export interface ClusterTarget {
  url: string;
  /** PostgreSQL schema. */
  schema?: string;
  /** PostgreSQL: connect through this port instead (a cutting proxy). */
  port?: number;
}

export interface OpenedCluster {
  cluster: ClusterStore;
  /** The migrated store itself, left open when asked (`keepStore`), for its wake-ups. */
  store: Store | null;
  /** Statements sent so far (the benchmark's count). */
  readonly statements: number;
  close(): Promise<void>;
}

/**
 * A {@link ClusterStore} on a migrated database: the store migrates it, then a Kysely of our own
 * runs the cluster statements (the test-side stand-in until the Store carries `cluster`).
 */
export async function openCluster(
  target: ClusterTarget,
  options: { keepStore?: boolean } = {},
): Promise<OpenedCluster> {
  let statements = 0;
  if (target.url.startsWith("memory:")) {
    return { cluster: memoryClusterMethods(), store: null, statements: 0, close: async () => {} };
  }
  const store = createStore(target.url, {
    pollIntervalMs: 50,
    ...(target.schema ? { schema: target.schema } : {}),
  });
  await store.open();
  if (!options.keepStore) await store.close();
  let db: Kysely<Database>;
  if (target.url.startsWith("sqlite:")) {
    const file = target.url.slice("sqlite:".length);
    const database = new BetterSqlite3(file, { timeout: 5000 });
    database.pragma("busy_timeout = 5000");
    database.pragma("journal_mode = WAL");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  } else {
    const url = new URL(target.url);
    if (target.port !== undefined) url.port = String(target.port);
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: 2,
      connectionTimeoutMillis: 1000,
      ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
      types: {
        getTypeParser: (oid: number, format?: "text" | "binary") =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text"),
      },
    });
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const cluster = sqlClusterMethods(async (fn) => {
    statements++;
    return fn(db);
  });
  return {
    cluster,
    store: options.keepStore ? store : null,
    get statements() {
      return statements;
    },
    async close() {
      await db.destroy();
      if (options.keepStore) await store.close();
    },
  };
}
