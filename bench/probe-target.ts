/**
 * Where the jobs probes (jobs-probe.ts, jobs-sql-probe.ts, launch-probe.ts) keep their jobs: a
 * fresh PostgreSQL schema (`PG_URL`, default the local `test` database) or a SQLite file in a
 * fresh temporary directory; `cleanup()` drops the one or deletes the other.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** One statement on a connection of its own, outside any store. */
export async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export function probeTarget(kind: string) {
  const schema = `probe_${randomBytes(4).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-probe-"));
  const url = kind === "sqlite" ? `sqlite:${join(dir, "state.db")}` : `${PG_URL}?schema=${schema}`;
  return {
    url,
    schema,
    dir,
    async cleanup(): Promise<void> {
      if (kind !== "sqlite") await admin(`drop schema if exists "${schema}" cascade`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
