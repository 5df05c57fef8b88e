/**
 * Soak: a manager in this process at 1,000 durable events/s with two declared subscribers,
 * periodic daemons that log, and a daemon launching jobs — first on SQLite, then on PostgreSQL
 * through a TCP proxy that is cut for 60 s in the middle of the phase.
 *
 *   npx tsx bench/soak.ts            npm run bench:soak       (SOAK_MINUTES per phase, default 10)
 *
 * `SOAK_PHASES=postgres` runs one phase only; `SOAK_OUTAGE_BUFFER=8MB` sets `store.outageBuffer`
 * (default 64 MB), so a short run can fill it. Run under `node --expose-gc --import tsx` to sample
 * the heap after a full collection (live memory, not garbage waiting for the collector).
 *
 * Diagnostics: `SOAK_SAMPLES=<file>` writes every sample (RSS, heap used and total, external and
 * array buffers, the outage buffer's bytes) as JSON lines, one file per phase (`<file>.<phase>`);
 * `SOAK_SNAPSHOT_AT=4,8` writes heap snapshots (`v8.writeHeapSnapshot`, into the temporary directory)
 * at those minutes of each phase, after the sample's full collection (each pauses the process for
 * seconds and leaves ~130 MB more RSS: not for a run whose figures are kept).
 *
 * Figures per phase: RSS and heap slope (least squares) over the steady state — after warm-up (the
 * first fifth) and, on PostgreSQL, after the cut's recovery (target < 1 MB/min); on PostgreSQL
 * also the slopes before the cut, the fit across it and the step it leaves; the
 * store's event rows and file size against `maxRows`, events lost (published, not handled by
 * each subscriber; target 0), duplicates, and on PostgreSQL the peak heap during the cut (target
 * ≤ outageBuffer + 30 MB) and job launches refused during it.
 */
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot } from "node:v8";
import pg from "pg";
import { createManager, defineConfig, defineDaemon, defineJob } from "../src/index.js";
import { STORE_DEFAULTS } from "../src/store/defaults.js";
import { startTcpProxy, type TcpProxy } from "../test/helpers/tcp-proxy.js";

declare module "../src/index.js" {
  interface Events {
    SOAK_TICK: { n: number };
  }
}

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const PHASE_MS = MINUTES * 60_000;
const CUT_MS = Math.min(60_000, PHASE_MS / 2);
const SAMPLE_MS = 2_000;
const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const MB = 1024 * 1024;
const PHASES = (process.env.SOAK_PHASES ?? "sqlite,postgres").split(",") as Array<
  "sqlite" | "postgres"
>;
const OUTAGE_BUFFER = process.env.SOAK_OUTAGE_BUFFER;
const SAMPLES_FILE = process.env.SOAK_SAMPLES;
const SNAPSHOT_AT = (process.env.SOAK_SNAPSHOT_AT ?? "")
  .split(",")
  .filter((m) => m.trim() !== "")
  .map((m) => Number(m) * 60_000);
const outageBufferBytes = OUTAGE_BUFFER
  ? defineConfig({ daemons: [], store: { outageBuffer: OUTAGE_BUFFER } }).outageBuffer
  : STORE_DEFAULTS.outage.maxBytes;

interface Sample {
  at: number;
  rss: number;
  heap: number;
}

/** Least-squares slope of `values` over `at`, in MB per minute. */
function slope(samples: Sample[], pick: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((s) => s.at / 60_000);
  const ys = samples.map((s) => pick(s) / MB);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function phase(kind: "sqlite" | "postgres") {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-soak-"));
  let proxy: TcpProxy | undefined;
  const schema = `soak_${Date.now().toString(36)}`;
  let url = `sqlite:${join(dir, "state.db")}`;
  if (kind === "postgres") {
    proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
    url = `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`;
  }
  let published = 0;
  let refusedPublishes = 0;
  let launched = 0;
  let launchFailures = 0;
  let jobsDone = 0;
  // Preallocated, so the bench's own bookkeeping does not count in the memory slopes.
  const capacity = Math.ceil((PHASE_MS / 1000) * 1_500);
  const handled = { a: new Uint8Array(capacity), b: new Uint8Array(capacity) };
  const duplicates = { a: 0, b: 0 };
  const subscriber = (name: "a" | "b") =>
    defineDaemon({
      name: `subscriber_${name}`,
      subscribes: ["SOAK_TICK"],
      setup(ctx) {
        ctx.events.subscribe("SOAK_TICK", (event) => {
          const n = event.payload.n;
          if (handled[name][n]) duplicates[name]++;
          handled[name][n] = 1;
          seen[name]++;
        });
      },
    });
  const seen = { a: 0, b: 0 };
  let startedAt = 0;
  const manager = createManager(
    defineConfig({
      store: { url, outageBuffer: outageBufferBytes },
      storePollInterval: "50ms",
      jobs: [
        defineJob({
          type: "soak_job",
          concurrency: 4,
          run: async () => {
            jobsDone++;
            return { ok: true };
          },
        }),
      ],
      daemons: [
        defineDaemon({
          name: "publisher",
          emits: ["SOAK_TICK"],
          interval: 10,
          cycle(ctx) {
            // Paced by time: 1,000 events per second since the start, whatever the cycle's lag.
            if (startedAt === 0) startedAt = Date.now();
            const due = Math.floor(Date.now() - startedAt) - published - refusedPublishes;
            for (let i = 0; i < due; i++) {
              try {
                ctx.events.publish("SOAK_TICK", { n: published });
                published++;
              } catch {
                refusedPublishes++;
              }
            }
          },
        }),
        subscriber("a"),
        subscriber("b"),
        ...[1, 2, 3].map((i) =>
          defineDaemon({
            name: `periodic_${i}`,
            interval: 100,
            cycle(ctx) {
              ctx.log.info("periodic work", { i, cycle: ctx.stats.cycles });
            },
          }),
        ),
        defineDaemon({
          name: "launcher",
          interval: 200,
          async cycle(ctx) {
            try {
              await ctx.jobs.launch("soak_job", { at: Date.now() }, { reason: "soak" });
              launched++;
            } catch {
              launchFailures++;
            }
          },
        }),
      ],
    }),
    { logger: false },
  );
  await manager.start();
  const t0 = Date.now();
  const samples: Sample[] = [];
  const samplesFile = SAMPLES_FILE ? `${SAMPLES_FILE}.${kind}` : undefined;
  if (samplesFile) writeFileSync(samplesFile, "");
  const snapshots = [...SNAPSHOT_AT];
  let cutPeakHeap = 0;
  /** The heap at the last sample before the cut, and the most the outage buffer held in it. */
  let heapBeforeCut = 0;
  let cutPeakBuffered = 0;
  let cutting = false;
  const cutFrom = PHASE_MS / 2 - CUT_MS / 2;
  while (Date.now() - t0 < PHASE_MS) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    const at = Date.now() - t0;
    // With --expose-gc the heap is sampled after a full collection: what is live, not garbage.
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    samples.push({ at, rss, heap: heapUsed });
    if (samplesFile) {
      const buffered = manager.liveness().store?.bytesBuffered ?? 0;
      // RSS split into anonymous memory (heap, malloc) and file pages mapped in (code, mmap).
      const status = readFileSync("/proc/self/status", "utf8");
      const kb = (field: string) =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      const line = {
        ...{ at, rss, heapUsed, heapTotal, external, arrayBuffers, buffered, cutting },
        ...{ rssAnon: kb("RssAnon") * 1024, rssFile: kb("RssFile") * 1024 },
      };
      appendFileSync(samplesFile, `${JSON.stringify(line)}\n`);
    }
    while (snapshots.length > 0 && at >= (snapshots[0] as number)) {
      snapshots.shift();
      const file = join(tmpdir(), `soak-${kind}-${(at / 60_000).toFixed(2)}min.heapsnapshot`);
      console.error(`heap snapshot at ${(at / 60_000).toFixed(2)} min: ${writeHeapSnapshot(file)}`);
    }
    if (proxy && !cutting && at >= cutFrom && at < cutFrom + CUT_MS) {
      cutting = true;
      heapBeforeCut = heapUsed;
      proxy.cut();
    }
    if (cutting) {
      cutPeakHeap = Math.max(cutPeakHeap, heapUsed);
      cutPeakBuffered = Math.max(cutPeakBuffered, manager.liveness().store?.bytesBuffered ?? 0);
    }
    if (proxy && cutting && at >= cutFrom + CUT_MS) {
      cutting = false;
      proxy.restore();
    }
  }
  proxy?.restore();
  const stopAt = published;
  await manager.stopDaemon("publisher");
  const deadline = Date.now() + 120_000;
  while (
    Date.now() < deadline &&
    (seen.a - duplicates.a < stopAt || seen.b - duplicates.b < stopAt)
  ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const health = manager.liveness();
  await manager.shutdown();

  let rows = 0;
  let fileBytes = 0;
  if (kind === "sqlite") {
    for (const suffix of ["", "-wal"]) {
      try {
        fileBytes += statSync(join(dir, `state.db${suffix}`)).size;
      } catch {
        // no WAL left
      }
    }
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(join(dir, "state.db"), { readonly: true });
    rows = (db.prepare("select count(*) as n from events").get() as { n: number }).n;
    db.close();
  } else {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    rows = Number((await client.query(`select count(*) as n from "${schema}".events`)).rows[0].n);
    fileBytes = Number(
      (await client.query(`select pg_total_relation_size('"${schema}".events') as n`)).rows[0].n,
    );
    await client.query(`drop schema "${schema}" cascade`);
    await client.end();
  }
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });

  // The slopes are fitted to the steady state: after warm-up (the first fifth) and, on PostgreSQL,
  // after the cut and the 15 s of catching up that follow it. A line fitted across the cut would
  // measure the level the outage leaves behind (a step: V8's and malloc's pages kept after the
  // buffer's peak) divided by the phase's length, not a growth rate; that step is reported on
  // its own, with the slope before the cut and the across-the-cut fit earlier runs reported.
  const afterWarmUp = samples.filter((s) => s.at >= PHASE_MS / 5);
  const recovered = cutFrom + CUT_MS + 15_000;
  const beforeCut = afterWarmUp.filter((s) => s.at < cutFrom);
  const afterCut = samples.filter((s) => s.at >= recovered);
  const steady = proxy ? afterCut : afterWarmUp;
  const acrossCut = afterWarmUp.filter((s) => s.at < cutFrom || s.at >= recovered);
  const mean = (list: Sample[], pick: (s: Sample) => number) =>
    list.reduce((sum, s) => sum + pick(s), 0) / Math.max(1, list.length) / MB;
  const slopes = (list: Sample[]) => ({
    rss: Number(slope(list, (s) => s.rss).toFixed(2)),
    heap: Number(slope(list, (s) => s.heap).toFixed(2)),
  });
  const step = (pick: (s: Sample) => number) =>
    Number((mean(afterCut.slice(0, 5), pick) - mean(beforeCut.slice(-5), pick)).toFixed(1));
  const lost = (marks: Uint8Array) => {
    let missing = 0;
    for (let n = 0; n < stopAt; n++) if (!marks[n]) missing++;
    return missing;
  };
  return {
    kind,
    minutes: MINUTES,
    published: stopAt,
    refusedPublishes,
    eventsPerSecond: Math.round(stopAt / (PHASE_MS / 1000)),
    lost: { a: lost(handled.a), b: lost(handled.b) },
    duplicates,
    rssSlopeMBPerMin: slopes(steady).rss,
    heapSlopeMBPerMin: slopes(steady).heap,
    slopeMinutes: Number((((steady.at(-1)?.at ?? 0) - (steady[0]?.at ?? 0)) / 60_000).toFixed(1)),
    peakHeapMB: Math.round(Math.max(...samples.map((s) => s.heap)) / MB),
    ...(kind === "postgres"
      ? {
          cutSeconds: CUT_MS / 1000,
          cutPeakHeapMB: Math.round(cutPeakHeap / MB),
          cutHeapTargetMB: Math.round(outageBufferBytes / MB) + 30,
          outageBufferMB: Number((outageBufferBytes / MB).toFixed(1)),
          heapBeforeCutMB: Math.round(heapBeforeCut / MB),
          slopesBeforeCutMBPerMin: slopes(beforeCut),
          slopesAcrossCutMBPerMin: slopes(acrossCut),
          /** Mean of the first 5 samples after recovery less that of the last 5 before the cut. */
          stepAcrossCutMB: { rss: step((s) => s.rss), heap: step((s) => s.heap) },
          cutPeakBufferedMB: Number((cutPeakBuffered / MB).toFixed(1)),
        }
      : {}),
    eventRows: rows,
    maxRows: STORE_DEFAULTS.eventRetention.maxRows,
    storeMB: Number((fileBytes / MB).toFixed(1)),
    jobs: { launched, launchFailures, done: jobsDone },
    healthAtEnd: health,
  };
}

const results = [];
for (const kind of PHASES) results.push(await phase(kind));
for (const r of results) console.log(JSON.stringify(r, null, 2));
process.exit(0);
