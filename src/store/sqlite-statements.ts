/**
 * A bounded cache of prepared statements for better-sqlite3 under Kysely.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase } from "kysely";

/**
 * The better-sqlite3 database as Kysely's SqliteDialect sees it, with a bounded cache of prepared
 * statements in front of `prepare`: Kysely prepares every statement it runs, and preparing costs
 * more than running the small statements ringmaster issues. At most `max` statements are kept,
 * the least recently used dropped first (statements with `in (…)` lists of varying length make
 * distinct texts). A cached statement still iterating (`busy`) is not reused: a fresh one is
 * prepared for that call.
 */
export function withStatementCache(database: BetterSqlite3.Database, max: number): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached) {
        if (cached.busy) return database.prepare(text);
        // Most recently used last: Map keeps insertion order.
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      cache.set(text, statement);
      if (cache.size > max) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}
