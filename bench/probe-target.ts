/**
 * Where the jobs probes (jobs-probe.ts, jobs-sql-probe.ts, launch-probe.ts) keep their jobs: a
 * fresh PostgreSQL schema (`PG_URL`, default the local `test` database) or a SQLite file in a
 * fresh temporary directory; `cleanup()` drops the one or deletes the other. And the job service
 * they drain with: one no-op type `noop` at concurrency 10, as bench/jobs-child.ts runs.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { pino } from "pino";
import { createJobService, defineJob, type Store, systemClock } from "../src/index.js";

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

/** A job service on `store` for the no-op type `noop`, 10 at once, logging nothing. */
export function noopService(store: Store) {
  return createJobService({
    store,
    clock: systemClock,
    jobs: [defineJob({ type: "noop", concurrency: 10, run: () => {} })],
    node: { id: `probe-${process.pid}`, host: hostname(), pid: process.pid, profile: null },
    logger: pino({ level: "silent" }),
  });
}
