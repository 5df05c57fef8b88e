import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { inspectManager } from "../../src/manager/internal-access.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";
import { until } from "../helpers/until.js";
import {
  PG_HOST,
  PG_PORT,
  PG_URL,
  postgresAvailable,
  randomSchema,
} from "../store/helpers/databases.js";

const hasPostgres = await postgresAvailable();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function database(kind: "sqlite" | "postgres"): string {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-persist-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return `sqlite:${join(dir, "state.db")}`;
  }
  const schema = randomSchema();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  });
  return `${PG_URL}?schema=${schema}`;
}

const fleet = () => [
  defineDaemon({
    name: "writer",
    config: z.object({ batchSize: z.number().int().positive().default(10) }),
    interval: 20,
    cycle(ctx) {
      ctx.log.info("cycle done", { batch: ctx.config.batchSize, n: ctx.stats.cycles });
      if (ctx.stats.cycles === 2) ctx.log.warn("a warning");
    },
  }),
  defineDaemon({ name: "optional" }),
];

describe.each(["sqlite", "postgres"] as const)("persistence on %s", (kind) => {
  const skip = kind === "postgres" && !hasPostgres;

  it.skipIf(skip)(
    "keeps daemon records, logs and operator settings across a restart of the manager",
    async () => {
      const url = database(kind);
      const first = createManager(defineConfig({ daemons: fleet(), store: url }), {
        logger: false,
      });
      await first.start();
      await until("a few cycles", () => first.status("writer").cycles >= 5);
      const internals = inspectManager(first);
      await internals.setOverrides("optional", { enabled: false });
      await internals.setOverrides("writer", { batchSize: 50 });
      await expect(internals.setOverrides("writer", { batchSize: -1 })).rejects.toThrow(
        /writer\.batchSize/,
      );
      await first.shutdown();

      const second = createManager(defineConfig({ daemons: fleet(), store: url }), {
        logger: false,
      });
      const report = await second.start();
      expect(report.running).toEqual(["writer"]);
      expect(second.status("optional").enabled).toBe(false);
      expect(second.status("optional").state).toBe("stopped");
      const s = inspectManager(second);
      const store = s.store!;
      const records = await store.loadDaemons(inspectManager(first).node.id);
      const writer = records.find((r) => r.name === "writer");
      expect(writer?.state).toBe("stopped");
      const logs = await s.queryLogs({ daemon: "writer", limit: 1000 });
      expect(logs.length).toBeGreaterThanOrEqual(5);
      expect(logs[0]).toMatchObject({
        daemon: "writer",
        level: "info",
        message: "cycle done",
        fields: { batch: 10, n: 0 },
      });
      // Each manager's writer warns once, at its third cycle: the first one's warning survived
      // the restart, and the second one's joins it once that cycle ran (not before: no race).
      await until("the second writer's third cycle", () => second.status("writer").cycles >= 3);
      await until(
        "both warnings stored",
        async () => (await store.queryLogs({ daemon: "writer", level: "warn" })).length >= 2,
      );
      const warnings = await store.queryLogs({ daemon: "writer", level: "warn" });
      expect(warnings.map((l) => [l.node, l.message]).sort()).toEqual(
        [
          [inspectManager(first).node.id, "a warning"],
          [s.node.id, "a warning"],
        ].sort(),
      );
      await until("a cycle with the stored config", async () =>
        (await s.queryLogs({ daemon: "writer", limit: 5 })).some((l) => l.fields.batch === 50),
      );
      const nodes = await store.listNodes();
      // A node's id is stable across restarts (DESIGN.md §8): the restarted manager is the same node.
      expect(nodes.map((n) => n.id).sort()).toEqual(
        [...new Set([inspectManager(first).node.id, s.node.id])].sort(),
      );
      await second.shutdown();
    },
  );
});

describe("a PostgreSQL connection that is cut", () => {
  it.skipIf(!hasPostgres)(
    "keeps daemons running, reports the store degraded, and loses no log line once restored",
    async () => {
      const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
      cleanups.push(() => proxy.close());
      const schema = randomSchema();
      const url = `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`;
      cleanups.push(async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      });
      let emitted = 0;
      const manager = createManager(defineConfig({ daemons: fleet(), store: url }), {
        logger: false,
      });
      manager.on("daemon:log", () => {
        emitted++;
      });
      await manager.start();
      const internals = inspectManager(manager);
      await until("some cycles", () => manager.status("writer").cycles >= 3);
      proxy.cut();
      const cyclesAtCut = manager.status("writer").cycles;
      await until("the store to be degraded", () => internals.storeHealth()?.degraded === true);
      await until(
        "cycles to go on during the cut",
        () => manager.status("writer").cycles >= cyclesAtCut + 10,
      );
      expect(manager.status("writer").state).toBe("running");
      expect(internals.storeHealth()?.buffered).toBeGreaterThan(0);
      expect(manager.liveness().ok).toBe(true);
      expect(manager.liveness().warnings?.[0]).toMatch(/^store degraded: /);
      proxy.restore();
      await until(
        "the store to recover",
        () =>
          internals.storeHealth()?.degraded === false && internals.storeHealth()?.buffered === 0,
      );
      await manager.shutdown();
      const check = new pg.Client({
        connectionString: PG_URL,
        options: `-c search_path=${schema}`,
      });
      await check.connect();
      const { rows } = await check.query("select count(*)::int as n from daemon_logs");
      await check.end();
      expect(internals.storeHealth()?.dropped ?? 0).toBe(0);
      expect(rows[0].n).toBe(emitted);
    },
  );
});
