/**
 * Event retention on a PostgreSQL store (a fresh schema of `RETENTION_ROWS` events, 300,000 by
 * default, inserted by one statement): the rows a sweep down to `RETENTION_KEEP` (200,000)
 * removes per second, its statements' sizes and times. A sweep that removes fewer rows a second
 * than are published lets the table grow past `maxRows`.
 *
 *   npx tsx bench/retention-postgres.ts
 */
import pg from "pg";
import { createStore } from "../src/store/open.js";
import { startLogSweeper } from "../src/store/sweeper.js";

const ROWS = Number(process.env.RETENTION_ROWS ?? 300_000);
const KEEP = Number(process.env.RETENTION_KEEP ?? 200_000);
const schema = `ret_${Date.now().toString(36)}`;
const store = createStore(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`);
await store.open();
const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });
await admin.connect();
const now = Date.now();
await admin.query(
  `insert into "${schema}".events (id, type, payload, source, time)
   select 'e' || g, 'A', '{"n":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}', 'bench', $1
   from generate_series(1, $2) g`,
  [now, ROWS],
);
const batches: { limit: number; removed: number; ms: number }[] = [];
const t0 = performance.now();
const sweeper = startLogSweeper(store, {
  eventMaxRows: KEEP,
  intervalMs: 3_600_000,
  onBatch: (b) => batches.push(b),
});
await sweeper.sweep();
const sweepMs = performance.now() - t0;
sweeper.stop();
const left = Number((await admin.query(`select count(*) as n from "${schema}".events`)).rows[0].n);
await store.close();
await admin.query(`drop schema "${schema}" cascade`);
await admin.end();
const ms = batches.map((b) => b.ms).sort((a, b) => a - b);
const limits = new Map<number, number>();
for (const b of batches) limits.set(b.limit, (limits.get(b.limit) ?? 0) + 1);
console.log(
  JSON.stringify({
    rows: ROWS,
    keep: KEEP,
    left,
    sweepMs: Math.round(sweepMs),
    rowsPerSecond: Math.round(((ROWS - left) / sweepMs) * 1000),
    statements: batches.length,
    limits: Object.fromEntries(limits),
    msP50: ms[Math.floor(ms.length / 2)]?.toFixed(1),
    msP99: ms[Math.floor(ms.length * 0.99)]?.toFixed(1),
    firstMs: batches.slice(0, 5).map((b) => b.ms.toFixed(1)),
    lastMs: batches.slice(-5).map((b) => b.ms.toFixed(1)),
  }),
);
process.exit(0);
