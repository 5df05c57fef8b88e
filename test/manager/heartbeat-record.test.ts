// Heartbeats reach the daemon record while the daemon runs, throttled, and `heartbeatTimeout`
// fails a daemon whose heartbeat went quiet (issue 15, item 1; DESIGN.md §2 and §6), on the real
// stores: a SQLite file and PostgreSQL, with the manager on a manual clock.
import { threadId } from "node:worker_threads";
import {
  createManager,
  createManualClock,
  type DaemonSpec,
  defineConfig,
  defineDaemon,
  type HealthReport,
  type ManualClock,
  type StateChange,
} from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { HEARTBEAT_WRITE_INTERVAL } from "../../src/manager/defaults.js";
import { inspectManager } from "../../src/manager/internal-access.js";
import type { DaemonRecord, Store } from "../../src/store/types.js";
import { drive } from "../helpers.js";
import { postgresAvailable, type TestDatabase, testDatabase } from "../store/helpers/databases.js";
import { beatingWorker } from "./fixtures/heartbeat-worker.js";

const hasPostgres = await postgresAvailable();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A run() daemon that beats every `every` ms until it is stopped. */
const beating = (
  name: string,
  every: number,
  extra: Partial<Parameters<typeof defineDaemon>[0]> = {},
) =>
  defineDaemon({
    name,
    ...extra,
    async run(ctx) {
      let n = 0;
      while (!ctx.signal.aborted) {
        ctx.heartbeat({ n: ++n });
        await ctx.sleep(every).catch(() => {});
      }
    },
  });

/** A manager on `db` and a manual clock, started; stopped after the test. */
async function startOn(db: TestDatabase, daemons: DaemonSpec[], clock: ManualClock) {
  const url = db.kind === "postgres" ? `${db.url}?schema=${db.options.schema}` : db.url;
  const manager = createManager(defineConfig({ daemons, store: url }), {
    clock,
    logger: false,
    env: {},
  });
  const changes: StateChange[] = [];
  const health: Array<{ name: string; health: HealthReport }> = [];
  manager.on("daemon:state", (change) => {
    changes.push(change);
  });
  manager.on("daemon:health", ({ name, health: report }) => {
    health.push({ name, health: report });
  });
  await manager.start();
  cleanups.push(() => drive(clock, manager.shutdown()).then(() => {}));
  const reader = db.store();
  await reader.open();
  cleanups.push(() => reader.close());
  const inspection = inspectManager(manager);
  /** The daemon's record as the store holds it now (buffered writes flushed first). */
  const stored = async (name: string): Promise<DaemonRecord | undefined> => {
    await inspection.store?.writes.flush();
    return (await reader.loadDaemons()).find((r) => r.name === name);
  };
  return { manager, changes, health, stored, reader: reader as Store };
}

function database(kind: "sqlite" | "postgres"): TestDatabase {
  const db = testDatabase(kind);
  cleanups.push(() => db.drop());
  return db;
}

describe.each(["sqlite", "postgres"] as const)("daemon heartbeats on %s", (kind) => {
  const skip = kind === "postgres" && !hasPostgres;

  it.skipIf(skip)(
    "writes ctx.heartbeat() through to the daemon record while the daemon runs",
    async () => {
      const clock = createManualClock(Date.now());
      const { manager, stored } = await startOn(
        database(kind),
        [beating("node_watcher", 1000)],
        clock,
      );
      const t0 = clock.now();
      expect(manager.status("node_watcher").state).toBe("running");
      expect(await stored("node_watcher")).toMatchObject({
        state: "running",
        lastHeartbeatAt: t0,
        heartbeatDetails: { n: 1 },
      });

      /** The stored beat is one the daemon made (beat n at t0 + (n - 1) s) within the last 5 s. */
      const expectRecent = (record: DaemonRecord | undefined) => {
        const at = record?.lastHeartbeatAt as number;
        expect(record?.state).toBe("running");
        expect(clock.now() - at).toBeLessThanOrEqual(HEARTBEAT_WRITE_INTERVAL);
        expect(record?.heartbeatDetails).toEqual({ n: (at - t0) / 1000 + 1 });
        return at;
      };
      await clock.advance(HEARTBEAT_WRITE_INTERVAL);
      const first = expectRecent(await stored("node_watcher"));
      expect(first).toBeGreaterThan(t0);

      // No state change since: the record still moves with the heartbeat.
      await clock.advance(20_000);
      const later = expectRecent(await stored("node_watcher"));
      expect(later).toBeGreaterThanOrEqual(first + 15_000);
      expect(manager.status("node_watcher").lastHeartbeatAt).toBe(t0 + 25_000);
    },
  );

  it.skipIf(skip)(
    "writes a fast heartbeat at most every 5 s, never more than 5 s behind",
    async () => {
      const clock = createManualClock(Date.now());
      const { manager, stored } = await startOn(
        database(kind),
        [beating("fast_beater", 100)],
        clock,
      );
      const seen: number[] = [];
      for (let second = 1; second <= 30; second++) {
        await clock.advance(1000);
        const at = (await stored("fast_beater"))?.lastHeartbeatAt ?? null;
        expect(at).not.toBeNull();
        expect(clock.now() - (at as number)).toBeLessThanOrEqual(HEARTBEAT_WRITE_INTERVAL);
        if (seen.at(-1) !== at) seen.push(at as number);
      }
      // 301 beats in memory; the first, then one per 5 s reached the store (the latest beat
      // when its 5 s were up).
      expect(manager.status("fast_beater").heartbeat).toEqual({ n: 301 });
      expect(seen.length).toBeGreaterThanOrEqual(6);
      expect(seen.length).toBeLessThanOrEqual(7);
      for (let i = 1; i < seen.length; i++) {
        expect((seen[i] as number) - (seen[i - 1] as number)).toBeGreaterThanOrEqual(
          HEARTBEAT_WRITE_INTERVAL - 100,
        );
      }
    },
  );

  it.skipIf(skip)(
    "fails a daemon whose heartbeat is older than heartbeatTimeout after unhealthyThreshold checks, and restarts it",
    async () => {
      const clock = createManualClock(Date.now());
      const options = { heartbeatTimeout: "3s", healthInterval: "1s", unhealthyThreshold: 2 };
      const goesQuiet = defineDaemon({
        name: "model_sync",
        ...options,
        restart: { initialDelay: "1s" },
        async run(ctx) {
          ctx.heartbeat({ phase: "setup" });
          await ctx.sleep(500);
          ctx.heartbeat({ phase: "stuck" });
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        },
      });
      // Never beats: heartbeatTimeout does not judge it.
      const silent = defineDaemon({
        name: "silent_daemon",
        ...options,
        async run(ctx) {
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        },
      });
      const { manager, changes, health, stored } = await startOn(
        database(kind),
        [goesQuiet, silent],
        clock,
      );

      await clock.advance(3000);
      expect(manager.status("model_sync").health.status).toBe("healthy");
      await clock.advance(1000);
      // Checked at 4 s: the last beat (at 0.5 s) is 3.5 s old.
      expect(manager.status("model_sync").health).toMatchObject({
        status: "unhealthy",
        message: "heartbeat 3 s old (heartbeatTimeout 3s)",
      });
      expect(manager.status("model_sync").state).toBe("running");
      await clock.advance(1000);
      expect(manager.status("model_sync").state).toBe("backoff");
      expect(manager.status("model_sync").lastError).toBe(
        "unhealthy 2 checks in a row (unhealthyThreshold 2): heartbeat 4 s old (heartbeatTimeout 3s)",
      );
      await clock.advance(1000);
      expect(manager.status("model_sync")).toMatchObject({ state: "running", restarts: 1 });
      expect(changes.filter((c) => c.name === "model_sync").map((c) => c.to)).toEqual([
        "starting",
        "running",
        "backoff",
        "starting",
        "running",
      ]);
      expect(health.filter((h) => h.name === "model_sync").map((h) => h.health.message)).toContain(
        "heartbeat 3 s old (heartbeatTimeout 3s)",
      );
      expect(await stored("model_sync")).toMatchObject({ state: "running", restartCount: 1 });
      expect(manager.status("silent_daemon")).toMatchObject({ state: "running", restarts: 0 });
      expect(manager.status("silent_daemon").health.status).toBe("healthy");
    },
  );

  it.skipIf(skip)("writes the heartbeat of a worker-thread daemon through as well", async () => {
    const clock = createManualClock(Date.now());
    const { manager, stored } = await startOn(database(kind), [beatingWorker], clock);
    const deadline = Date.now() + 15_000;
    while (manager.status("beating_worker").heartbeat === null) {
      if (Date.now() > deadline) throw new Error("the worker never beat");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await clock.advance(HEARTBEAT_WRITE_INTERVAL);
    const record = await stored("beating_worker");
    expect(record?.state).toBe("running");
    expect(record?.lastHeartbeatAt).not.toBeNull();
    expect(record?.heartbeatDetails).toMatchObject({ threadId: expect.any(Number) });
    expect(record?.heartbeatDetails?.threadId).not.toBe(threadId);
  });
});
