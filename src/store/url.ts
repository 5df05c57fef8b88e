/**
 * Reading a store URL into a target (memory, SQLite path, PostgreSQL connection and schema),
 * and redacting its password for printing.
 */
import { StoreError } from "./errors.js";

export type StoreTarget =
  | { kind: "memory"; url: string }
  | { kind: "sqlite"; url: string; path: string }
  | { kind: "postgres"; url: string; connectionString: string; schema: string | undefined };

const HINT = 'use "sqlite:PATH", "postgres://USER@HOST:PORT/DATABASE" or "memory:"';

/** Query parameters that carry a password (`?password=`, `?sslpassword=`, …). */
const SECRET_PARAM = /pass|secret|token|key|credential/i;

/**
 * The URL with any password replaced by `***`, safe to print: the one in the user part (read by
 * a URL parser, so a password holding `@`, `:` or `/` is cut whole) and any `?password=`-like
 * query parameter. A URL the parser cannot read keeps its user and loses the rest up to its last `@`.
 */
export function redactUrl(raw: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim())) return raw;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // Unreadable (a password holding "/", say): keep the user, cut up to the last "@".
    return raw.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/[^:/@]*)(:.*)?@/i, "$1:***@");
  }
  let changed = false;
  if (url.password !== "") {
    url.password = "***";
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) {
      url.searchParams.set(key, "***");
      changed = true;
    }
  }
  return changed ? url.toString() : raw;
}

/**
 * Reads a store URL: `sqlite:PATH` (also `sqlite://PATH`; `sqlite::memory:` for a private
 * in-memory SQLite database), `postgres://…` or `postgresql://…` (an optional `?schema=NAME`
 * selects the schema, default `public`), `memory:`. Throws a {@link StoreError} otherwise.
 */
export function parseStoreUrl(raw: string): StoreTarget {
  const url = redactUrl(raw.trim());
  const text = raw.trim();
  if (text === "") throw new StoreError('""', "the store URL is empty", HINT);
  if (text === "memory:" || text === "memory://") return { kind: "memory", url };
  if (text.startsWith("sqlite:")) {
    let path = text.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new StoreError(url, "the SQLite URL has no file path", HINT);
    return { kind: "sqlite", url, path };
  }
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new StoreError(url, "the PostgreSQL URL is malformed", HINT);
    }
    if (!parsed.hostname && !parsed.searchParams.get("host")) {
      throw new StoreError(url, "the PostgreSQL URL has no host", HINT);
    }
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new StoreError(
        url,
        `schema "${schema}" is not a plain identifier`,
        "use letters, digits and underscores",
      );
    }
    parsed.searchParams.delete("schema");
    return { kind: "postgres", url, connectionString: parsed.toString(), schema };
  }
  throw new StoreError(url, "unsupported store URL", HINT);
}
