import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withStatementCache } from "../../src/store/sqlite-statements.js";

describe("withStatementCache (SQLite prepared statements)", () => {
  let database: BetterSqlite3.Database;
  let prepared: string[];

  beforeEach(() => {
    database = new BetterSqlite3(":memory:");
    database.exec("create table t (n integer)");
    prepared = [];
    const prepare = database.prepare.bind(database);
    database.prepare = ((text: string) => {
      prepared.push(text);
      return prepare(text);
    }) as typeof database.prepare;
  });
  afterEach(() => {
    if (database.open) database.close();
  });

  it("prepares a statement text once and reuses it", () => {
    const cached = withStatementCache(database, 10);
    cached.prepare("insert into t (n) values (?)").run([1]);
    cached.prepare("insert into t (n) values (?)").run([2]);
    expect(cached.prepare("select n from t order by n").all([])).toEqual([{ n: 1 }, { n: 2 }]);
    expect(prepared).toEqual(["insert into t (n) values (?)", "select n from t order by n"]);
  });

  it("keeps at most `max` statements, dropping the least recently used", () => {
    const cached = withStatementCache(database, 2);
    cached.prepare("select 1");
    cached.prepare("select 2");
    cached.prepare("select 1"); // now the most recent
    cached.prepare("select 3"); // drops "select 2"
    cached.prepare("select 1");
    cached.prepare("select 2");
    expect(prepared).toEqual(["select 1", "select 2", "select 3", "select 2"]);
  });

  it("does not hand out a cached statement that is still iterating", () => {
    database.exec("insert into t (n) values (1), (2)");
    const cached = withStatementCache(database, 10);
    const statement = cached.prepare("select n from t order by n");
    const rows = statement.iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    expect(cached.prepare("select n from t order by n")).not.toBe(statement);
    expect(rows.next().value).toEqual({ n: 2 });
    rows.return?.();
    expect(cached.prepare("select n from t order by n")).toBe(statement);
    expect(prepared).toEqual(["select n from t order by n", "select n from t order by n"]);
  });

  it("closes the database", () => {
    withStatementCache(database, 10).close();
    expect(database.open).toBe(false);
  });
});
