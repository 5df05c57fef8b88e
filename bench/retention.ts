/**
 * Event retention on a SQLite store of 600,000 events: how long one trim batch holds the event
 * loop (better-sqlite3 is synchronous, so a statement's time is the loop's), and a whole sweep.
 *
 *   npx tsx bench/retention.ts       (RETENTION_ROWS to change the table size)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { STORE_DEFAULTS } from "../src/store/defaults.js";
import { createStore } from "../src/store/open.js";
import { startLogSweeper } from "../src/store/sweeper.js";

const ROWS = Number(process.env.RETENTION_ROWS ?? 600_000);
const KEEP = ROWS / 6;
const dir = mkdtempSync(join(tmpdir(), "ringmaster-retention-"));
const store = createStore(`sqlite:${join(dir, "state.db")}`);
await store.open();
const now = Date.now();
for (let i = 0; i < ROWS; i += 5_000) {
  await store.appendEvents(
    Array.from({ length: 5_000 }, (_, j) => ({
      id: `e${i + j}`,
      type: j % 2 ? "A" : "B",
      payload: { n: i + j, pad: "x".repeat(60) } as never,
      source: "bench",
      time: now,
    })),
  );
}
const batches: number[] = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await store.trimEvents({
    maxAgeMs: Number.POSITIVE_INFINITY,
    maxRows: ROWS - 10_000 * (i + 1),
    now,
  });
  batches.push(performance.now() - t0);
}
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const t0 = performance.now();
const sweeper = startLogSweeper(store, { eventMaxRows: KEEP, intervalMs: 3_600_000 });
await sweeper.sweep();
const sweepMs = performance.now() - t0;
delay.disable();
sweeper.stop();
const left = (await store.readEvents({ afterSeq: 0, limit: ROWS })).length;
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    rows: ROWS,
    batch: STORE_DEFAULTS.eventRetention.batch,
    oneBatchMs: batches.map((ms) => Number(ms.toFixed(2))),
    sweepToMaxRows: KEEP,
    sweepMs: Math.round(sweepMs),
    eventLoopDelayMaxMs: Number((delay.max / 1e6).toFixed(1)),
    eventLoopDelayP99Ms: Number((delay.percentile(99) / 1e6).toFixed(1)),
    left,
  }),
);
