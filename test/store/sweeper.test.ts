import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/internal/clock.js";
import { createStore } from "../../src/store/open.js";
import { startLogSweeper } from "../../src/store/sweeper.js";

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
