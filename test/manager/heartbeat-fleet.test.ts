// A node writes at most HEARTBEAT_WRITES_PER_SECOND daemon heartbeats a second: a fleet larger
// than 2,500 daemons spreads each daemon's writes over a longer interval instead of writing
// more (manager/defaults.ts). Checked on a real manager of 3,000 periodic daemons on a SQLite file
// and a manual clock, with the first write of every daemon placed at its first cycle.
import { createManager, createManualClock, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  HEARTBEAT_WRITE_INTERVAL,
  HEARTBEAT_WRITES_PER_SECOND,
  heartbeatWriteInterval,
} from "../../src/manager/defaults.js";
import { inspectManager } from "../../src/manager/internal-access.js";
import { drive } from "../helpers.js";
import { testDatabase } from "../store/helpers/databases.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("heartbeat writes of a large fleet", () => {
  it("keeps 5 s up to 2,500 daemons and grows with the fleet beyond", () => {
    expect(heartbeatWriteInterval(1)).toBe(HEARTBEAT_WRITE_INTERVAL);
    expect(heartbeatWriteInterval(2_500)).toBe(5_000);
    expect(heartbeatWriteInterval(2_501)).toBe(6_000);
    expect(heartbeatWriteInterval(3_000)).toBe(6_000);
    expect(heartbeatWriteInterval(10_000)).toBe(20_000);
    for (const fleet of [2_501, 4_999, 10_000, 80_000]) {
      expect(fleet / (heartbeatWriteInterval(fleet) / 1000)).toBeLessThanOrEqual(
        HEARTBEAT_WRITES_PER_SECOND,
      );
    }
  });

  it("writes each of 3,000 daemons' cycle heartbeats every 6 s, not every 5 s", async () => {
    // The first hand-off of each daemon at the start of its first write interval.
    vi.spyOn(Math, "random").mockReturnValue(0);
    const clock = createManualClock(Date.now());
    const daemons = Array.from({ length: 3_000 }, (_, i) =>
      defineDaemon({ name: `watcher_${i}`, interval: "1s", cycle: () => {} }),
    );
    const db = testDatabase("sqlite");
    cleanups.push(() => db.drop());
    const manager = createManager(defineConfig({ daemons, store: db.url }), {
      clock,
      logger: false,
      env: {},
    });
    try {
      const report = await manager.start();
      expect(report.running).toHaveLength(3_000);
      const t0 = clock.now();
      const store = inspectManager(manager).store;
      if (!store) throw new Error("the manager opened no store");
      const stored = async () => {
        await store.writes.flush();
        const records = await store.loadDaemons();
        return new Map(records.map((r) => [r.name, r.lastHeartbeatAt]));
      };
      const first = await stored();
      expect(first.size).toBe(3_000);
      expect(first.get("watcher_0")).toBe(t0);
      expect(first.get("watcher_2999")).toBe(t0);

      // 5.5 s on: every daemon has run five more cycles, none written (5 s would have).
      for (let s = 0; s < 11; s++) await clock.advance(500);
      expect(manager.status("watcher_0").lastHeartbeatAt).toBe(t0 + 5_000);
      const held = await stored();
      expect([...held.values()].every((at) => at === t0)).toBe(true);

      // 6.5 s on: the cycle that ended at 6 s was written, for every daemon.
      for (let s = 0; s < 2; s++) await clock.advance(500);
      const later = await stored();
      expect([...later.values()].every((at) => at === t0 + 6_000)).toBe(true);
    } finally {
      await drive(clock, manager.shutdown());
    }
  });
});
