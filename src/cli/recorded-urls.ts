import { existsSync } from "node:fs";
import { SECOND } from "../registry/duration.js";
import { parseStoreUrl } from "../store/url.js";

/** A node record whose heartbeat is older than this is not tried (the manager beats every 5 s). */
export const NODE_STALE_AFTER = 20 * SECOND;

interface NodeRow {
  url: string | null;
  started_at: number;
  last_heartbeat_at: number | null;
}

/**
 * HTTP addresses of managers recorded in the store at `storeUrl` with a fresh heartbeat, newest
 * first. Never throws, never creates a file: a memory store, a missing SQLite file or an
 * unreadable store finds none.
 *
 * A SQLite file is read with better-sqlite3 alone, read-only (one `SELECT` on `nodes`), so the CLI
 * finds its manager in a few milliseconds instead of loading the whole store layer; PostgreSQL goes
 * through the store.
 */
export async function recordedUrls(storeUrl: string, now = Date.now()): Promise<string[]> {
  let target: ReturnType<typeof parseStoreUrl>;
  try {
    target = parseStoreUrl(storeUrl);
  } catch {
    return [];
  }
  let rows: NodeRow[] = [];
  try {
    if (target.kind === "sqlite") {
      if (target.path === ":memory:" || !existsSync(target.path)) return [];
      rows = await sqliteRows(target.path);
    } else if (target.kind === "postgres") {
      rows = await storeRows(storeUrl);
    }
  } catch {
    return [];
  }
  return rows
    .filter((n) => now - Number(n.last_heartbeat_at ?? n.started_at) < NODE_STALE_AFTER)
    .sort((a, b) => Number(b.started_at) - Number(a.started_at))
    .map((n) => n.url)
    .filter((u): u is string => typeof u === "string" && u !== "");
}

async function sqliteRows(path: string): Promise<NodeRow[]> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1 * SECOND });
  try {
    return db.prepare("SELECT url, started_at, last_heartbeat_at FROM nodes").all() as NodeRow[];
  } finally {
    db.close();
  }
}

async function storeRows(storeUrl: string): Promise<NodeRow[]> {
  const { createStore } = await import("../store/open.js");
  const store = createStore(storeUrl);
  try {
    await store.open();
    return (await store.listNodes()).map((n) => ({
      url: (n as { url?: string | null }).url ?? null,
      started_at: n.startedAt,
      last_heartbeat_at: n.lastHeartbeatAt ?? null,
    }));
  } finally {
    await store.close().catch(() => {});
  }
}
