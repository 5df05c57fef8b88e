/**
 * The outage spool: a local SQLite file (`spool-<node>.db`) where writes wait, in order, when the
 * store is unreachable and the memory share of the outage buffer is full. Rows leave it only
 * after they were written to the store, so a crash during an outage loses nothing either: the
 * next process replays what is left.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { STORE_DEFAULTS } from "./defaults.js";
import { StoreUnavailableError } from "./errors.js";
import { checkSqliteFile } from "./sqlite-check.js";
import { parseStoreUrl } from "./url.js";

/**
 * Where a node's spool lives: `spool-<node>.db` in the directory of a SQLite store's file, else
 * in `STORE_DEFAULTS.outage.spoolDirectory` (`.ringmaster/`) of the working directory. The node id
 * is kept to letters, digits, `.`, `_` and `-`.
 */
export function spoolPathFor(storeUrl: string, nodeId: string): string {
  const target = parseStoreUrl(storeUrl);
  const directory =
    target.kind === "sqlite" && target.path !== ":memory:"
      ? dirname(resolve(target.path))
      : resolve(STORE_DEFAULTS.outage.spoolDirectory);
  return join(directory, `spool-${nodeId.replace(/[^A-Za-z0-9._-]/g, "_")}.db`);
}

/** A spooled row: its place in the spool (increasing in append order) and its serialized body. */
export interface SpooledRow {
  id: number;
  body: string;
}

/**
 * Named FIFO queues in one file. `append` is all or nothing and throws a
 * {@link StoreUnavailableError} when the rows would take the spool past `maxBytes` (counted in
 * bytes of the serialized bodies). Calls are synchronous (better-sqlite3) and small.
 */
export interface Spool {
  readonly path: string;
  readonly maxBytes: number;
  append(queue: string, bodies: readonly string[]): void;
  /** Puts `bodies` before every row of `queue` (rows that were older than what is spooled). */
  prepend(queue: string, bodies: readonly string[]): void;
  /** The oldest `limit` rows of `queue`. */
  peek(queue: string, limit: number): SpooledRow[];
  /** Removes the rows of `queue` up to and including `throughId`. */
  remove(queue: string, throughId: number): void;
  /** Rows waiting in `queue`. */
  count(queue: string): number;
  /** Bytes of every row waiting. */
  bytes(): number;
  /** Closes the file, and removes it when nothing waits in it (a clean shutdown leaves no file). */
  close(): void;
}

/**
 * Opens (creating it if needed) the spool at `path`. A damaged file is refused like a damaged
 * store (see `checkSqliteFile`), never silently replaced: it may hold writes not yet stored.
 */
export function openSpool(path: string, options: { maxBytes: number }): Spool {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  try {
    checkSqliteFile(db, file, "spool");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(
      "create table if not exists spooled (id integer primary key, queue text not null, body text not null)",
    );
    db.exec("create index if not exists spooled_queue on spooled (queue, id)");
  } catch (error) {
    db.close();
    throw error;
  }
  const insert = db.prepare("insert into spooled (id, queue, body) values (?, ?, ?)");
  const nextId = db.prepare("select coalesce(max(id), 0) + 1 as id from spooled");
  const firstId = db.prepare("select coalesce(min(id), 1) as id from spooled");
  const peek = db.prepare("select id, body from spooled where queue = ? order by id limit ?");
  const sizeOf = db.prepare("select coalesce(sum(length(body)), 0) as bytes from spooled");
  const bytesOf = db.prepare(
    "select coalesce(sum(length(body)), 0) as bytes from spooled where queue = ? and id <= ?",
  );
  const remove = db.prepare("delete from spooled where queue = ? and id <= ?");
  const counts = new Map<string, number>();
  for (const row of db.prepare("select queue, count(*) as n from spooled group by queue").all() as {
    queue: string;
    n: number;
  }[])
    counts.set(row.queue, row.n);
  let bytes = (sizeOf.get() as { bytes: number }).bytes;

  const admit = (queue: string, bodies: readonly string[]) => {
    let size = 0;
    for (const body of bodies) size += body.length;
    if (bytes + size > options.maxBytes) {
      throw new StoreUnavailableError(
        `${bodies.length} ${queue} row(s)`,
        `the store is unreachable and the spool ${file} is full (${Math.round(options.maxBytes / 1024 / 1024)} MB)`,
      );
    }
    return size;
  };

  const write = db.transaction((queue: string, bodies: readonly string[], from: number) => {
    for (let i = 0; i < bodies.length; i++) insert.run(from + i, queue, bodies[i]);
  });

  return {
    path: file,
    maxBytes: options.maxBytes,
    append(queue, bodies) {
      if (bodies.length === 0) return;
      const size = admit(queue, bodies);
      write(queue, bodies, (nextId.get() as { id: number }).id);
      bytes += size;
      counts.set(queue, (counts.get(queue) ?? 0) + bodies.length);
    },
    prepend(queue, bodies) {
      if (bodies.length === 0) return;
      const size = admit(queue, bodies);
      write(queue, bodies, (firstId.get() as { id: number }).id - bodies.length);
      bytes += size;
      counts.set(queue, (counts.get(queue) ?? 0) + bodies.length);
    },
    peek: (queue, limit) => peek.all(queue, limit) as SpooledRow[],
    remove(queue, throughId) {
      const freed = (bytesOf.get(queue, throughId) as { bytes: number }).bytes;
      const removed = remove.run(queue, throughId).changes;
      bytes -= freed;
      counts.set(queue, Math.max(0, (counts.get(queue) ?? 0) - removed));
    },
    count: (queue) => counts.get(queue) ?? 0,
    bytes: () => bytes,
    close() {
      const empty = db.prepare("select count(*) as n from spooled").get() as { n: number };
      db.close();
      if (empty.n === 0)
        for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    },
  };
}
