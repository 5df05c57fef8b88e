import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/internal/clock.js";
import { STORE_DEFAULTS } from "../../src/store/defaults.js";
import { createStore } from "../../src/store/open.js";
import { startLogSweeper } from "../../src/store/sweeper.js";
import { postgresAvailable, testDatabase } from "./helpers/databases.js";

describe("startLogSweeper", () => {
  it("sweeps at once and then every interval, enforcing rows per daemon and age", async () => {
    const clock = createManualClock();
    const store = createStore("memory:", { clock });
    await store.open();
    const t = clock.now();
    await store.appendLogs(
      Array.from({ length: 10 }, (_, i) => ({
        time: t - 1000 + i,
        daemon: "a",
        level: "info" as const,
        message: `m${i}`,
      })),
    );
    const sweeps: number[] = [];
    const sweeper = startLogSweeper(store, {
      clock,
      maxRowsPerDaemon: 6,
      maxAgeMs: 60_000,
      intervalMs: 60_000,
      onSweep: (n) => sweeps.push(n),
    });
    await clock.advance(0);
    expect(sweeps).toEqual([4]);
    expect((await store.queryLogs({ order: "asc" })).map((r) => r.message)).toEqual([
      "m4",
      "m5",
      "m6",
      "m7",
      "m8",
      "m9",
    ]);
    await clock.advance(60_000); // everything is now older than a minute
    expect(sweeps).toEqual([4, 6]);
    sweeper.stop();
    expect(clock.pending()).toBe(0);
    await store.close();
  });

  it("reports a failed sweep and keeps going", async () => {
    const clock = createManualClock();
    const store = createStore("memory:", { clock });
    const errors: string[] = [];
    const sweeper = startLogSweeper(store, {
      clock,
      intervalMs: 1000,
      onError: (e) => errors.push(e.message),
    });
    await clock.advance(0); // not open yet: fails
    await store.open();
    await clock.advance(1000);
    expect(errors).toEqual(["store memory: is not open"]);
    sweeper.stop();
    await store.close();
  });
});

describe("event retention on a SQLite store of 200,000 events", () => {
  it("trims in short statements of at most 100 rows, the event loop turning between them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-sweep-"));
    const store = createStore(`sqlite:${join(dir, "state.db")}`);
    await store.open();
    const now = Date.now();
    for (let i = 0; i < 200_000; i += 5_000) {
      await store.appendEvents(
        Array.from({ length: 5_000 }, (_, j) => ({
          id: `e${i + j}`,
          type: "A",
          payload: { n: i + j, pad: "x".repeat(60) } as never,
          source: "test",
          time: now,
        })),
      );
    }
    // Counts the loop's turns: a batch that follows another without a turn between would show.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const batches: Array<{ limit: number; removed: number; ms: number; turns: number }> = [];
    const sweeper = startLogSweeper(store, {
      eventMaxRows: 20_000,
      intervalMs: 3_600_000,
      onBatch: (batch) => batches.push({ ...batch, turns }),
    });
    const removed = await new Promise<number>((resolve) => {
      const wait = () =>
        (batches.at(-1)?.removed ?? 100) < (batches.at(-1)?.limit ?? 100)
          ? resolve(batches.reduce((sum, b) => sum + b.removed, 0))
          : setTimeout(wait, 50);
      wait();
    });
    ticking = false;
    sweeper.stop();
    expect(removed).toBe(180_000);
    expect((await store.readEvents({ afterSeq: 0, limit: 300_000 })).length).toBe(20_000);
    const { batch } = STORE_DEFAULTS.eventRetention;
    expect(batch).toBeLessThanOrEqual(100);
    for (const b of batches) {
      expect(b.limit).toBeLessThanOrEqual(batch);
      expect(b.removed).toBeLessThanOrEqual(b.limit);
    }
    for (let i = 1; i < batches.length; i++) {
      expect((batches[i] as { turns: number }).turns).toBeGreaterThan(
        (batches[i - 1] as { turns: number }).turns,
      );
    }
    // Wall time is the machine's; the typical statement is well under the 10 ms a loop may give.
    const sorted = batches.map((b) => b.ms).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(10);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});

describe("event retention on PostgreSQL", () => {
  it("trims in statements of asyncBatch rows, never shrunk by their time (spent waiting for the server, the loop free)", async (t) => {
    if (!(await postgresAvailable())) return t.skip();
    const database = testDatabase("postgres");
    const store = database.store();
    await store.open();
    try {
      const now = Date.now();
      const { asyncBatch } = STORE_DEFAULTS.eventRetention;
      const total = asyncBatch * 4 + 500;
      for (let i = 0; i < total; i += 1_000) {
        await store.appendEvents(
          Array.from({ length: Math.min(1_000, total - i) }, (_, j) => ({
            id: `e${i + j}`,
            type: "A",
            payload: { n: i + j } as never,
            source: "test",
            time: now,
          })),
        );
      }
      const batches: Array<{ limit: number; removed: number }> = [];
      // A manual clock at the events' time: the sweep runs when the test calls it, none by age.
      const sweeper = startLogSweeper(store, {
        clock: createManualClock(now),
        eventMaxRows: 500,
        intervalMs: 3_600_000,
        onBatch: ({ limit, removed }) => batches.push({ limit, removed }),
      });
      await sweeper.sweep();
      sweeper.stop();
      expect(batches).toEqual([
        ...Array.from({ length: 4 }, () => ({ limit: asyncBatch, removed: asyncBatch })),
        { limit: asyncBatch, removed: 0 },
      ]);
      expect((await store.readEvents({ afterSeq: 0, limit: total })).map((e) => e.id)).toEqual(
        Array.from({ length: 500 }, (_, i) => `e${asyncBatch * 4 + i}`),
      );
    } finally {
      await store.close();
      await database.drop();
    }
  }, 60_000);
});
