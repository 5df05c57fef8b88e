import { existsSync } from "node:fs";
import { SECOND } from "../registry/duration.js";
import { parseStoreUrl } from "../store/url.js";

/** A node record whose heartbeat is older than this is not tried (the manager beats every 5 s). */
export const NODE_STALE_AFTER = 20 * SECOND;

interface NodeRow {
  id: string;
  host: string;
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
  return (await recordedNodes(storeUrl, now)).map((n) => n.url);
}

/** A live node recorded in the store, with the address it serves HTTP on. */
export interface RecordedNode {
  id: string;
  host: string;
  url: string;
}

/** Like {@link recordedUrls}, with each node's id and host. */
export async function recordedNodes(storeUrl: string, now = Date.now()): Promise<RecordedNode[]> {
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
    .filter((n): n is NodeRow & { url: string } => typeof n.url === "string" && n.url !== "")
    .map((n) => ({ id: n.id, host: n.host, url: n.url }));
}

async function sqliteRows(path: string): Promise<NodeRow[]> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1 * SECOND });
  try {
    return db
      .prepare("SELECT id, host, url, started_at, last_heartbeat_at FROM nodes")
      .all() as NodeRow[];
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
      id: n.id,
      host: n.host,
      url: (n as { url?: string | null }).url ?? null,
      started_at: n.startedAt,
      last_heartbeat_at: n.lastHeartbeatAt ?? null,
    }));
  } finally {
    await store.close().catch(() => {});
  }
}
