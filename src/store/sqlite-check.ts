/**
 * Refusing a SQLite file that is not a healthy database (a valid header over damaged pages, or
 * not a database at all) at open, with the file's path and what to do, instead of running on it.
 */
import type BetterSqlite3 from "better-sqlite3";
import { coerceError } from "../internal/errors.js";
import { StoreError } from "./errors.js";

/** The most problems `quick_check` reports in the error message. */
const PROBLEMS_SHOWN = 3;

/**
 * Runs `PRAGMA quick_check` on `db` (the file at `file`, used as the `what` of the manager: the
 * store or its spool) and throws a {@link StoreError} naming the file when it is damaged.
 * `quick_check` reads every page once (about a second per GB); it runs at open only.
 */
export function checkSqliteFile(db: BetterSqlite3.Database, file: string, what: string): void {
  let problems: string[];
  try {
    const rows = db.pragma(`quick_check(${PROBLEMS_SHOWN})`) as { quick_check: string }[];
    problems = rows.map((r) => r.quick_check).filter((p) => p !== "ok");
  } catch (thrown) {
    const error = coerceError(thrown);
    const code = String((error as { code?: unknown }).code ?? "");
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw error;
    problems = [`${error.message} [${code}]`];
  }
  if (problems.length === 0) return;
  throw new StoreError(
    `sqlite:${file}`,
    `the ${what} file ${file} is damaged (${problems.join("; ")})`,
    `restore ${file} from a backup, or move it away (ringmaster then starts with an empty ${what}); ringmaster will not run on it`,
  );
}
