import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { type CreateStoreOptions, createStore } from "../../../src/store/open.js";
import type { Store } from "../../../src/store/types.js";

export const PG_HOST = "127.0.0.1";
export const PG_PORT = 5432;
export const PG_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/test`;

/** Whether the test PostgreSQL answers; under CI its absence is a failure, not a skip. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${PG_URL} is required under CI: ${error}`);
    console.warn(`PostgreSQL at ${PG_URL} is not reachable: skipping its store tests (${error})`);
    return false;
  }
}

/** One database for one test: a SQLite file in a temp dir, a fresh PostgreSQL schema, or memory. */
export interface TestDatabase {
  kind: "sqlite" | "postgres" | "memory";
  /** Whether data outlives the Store object (memory does not). */
  persistent: boolean;
  url: string;
  options: CreateStoreOptions;
  /** A new, unopened store on this database. */
  store(extra?: CreateStoreOptions): Store;
  /** Runs raw SQL against the database, outside the store. */
  exec(statement: string): Promise<void>;
  drop(): Promise<void>;
}

export type DatabaseKind = TestDatabase["kind"];

export function randomSchema(): string {
  return `rm_test_${randomBytes(5).toString("hex")}`;
}

export function testDatabase(kind: DatabaseKind): TestDatabase {
  const make = (
    url: string,
    options: CreateStoreOptions,
    rest: Omit<TestDatabase, "kind" | "url" | "options" | "store" | "persistent">,
  ) => ({
    kind,
    persistent: kind !== "memory",
    url,
    options,
    store: (extra: CreateStoreOptions = {}) => createStore(url, { ...options, ...extra }),
    ...rest,
  });
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-store-"));
    const file = join(dir, "state.db");
    return make(
      `sqlite:${file}`,
      { pollIntervalMs: 20 },
      {
        async exec(statement) {
          const db = new BetterSqlite3(file);
          try {
            db.exec(statement);
          } finally {
            db.close();
          }
        },
        async drop() {
          rmSync(dir, { recursive: true, force: true });
        },
      },
    );
  }
  if (kind === "postgres") {
    const schema = randomSchema();
    const run = async (statement: string) => {
      const client = new pg.Client({
        connectionString: PG_URL,
        options: `-c search_path=${schema}`,
      });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    return make(
      PG_URL,
      { schema },
      {
        exec: run,
        drop: () => run(`drop schema if exists "${schema}" cascade`),
      },
    );
  }
  return make(
    "memory:",
    {},
    {
      async exec() {
        throw new Error("no SQL in the memory store");
      },
      async drop() {},
    },
  );
}
