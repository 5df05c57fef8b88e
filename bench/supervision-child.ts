/**
 * One side of the supervision-overhead benchmark, in a process of its own (started by
 * `supervision.ts` with `node --expose-gc --import tsx`):
 *
 *   supervision-child.ts <ringmaster|bare> <daemons> <intervalMs> <durationMs> <warmupMs>
 *
 * Starts `daemons` loops doing the same trivial work every `intervalMs` — periodic ringmaster
 * daemons, or bare `setInterval` callbacks — lets them run `warmupMs`, measures memory (heapUsed
 * after full GCs, against before they existed), then for `durationMs` measures CPU time
 * (`process.cpuUsage`) and each tick's lateness. Prints one JSON line. With
 * `BENCH_PROFILE=file.cpuprofile` it also writes a CPU profile of the measured window.
 *
 * Lateness of a tick is its actual start minus when it was due:
 * - ringmaster: the interval is a fixed delay after the previous cycle ends, so due = previous
 *   end + interval (the trivial work takes no measurable time, so end = start, read once);
 * - setInterval: Node re-arms an interval from the start of the previous call, so due = previous
 *   start + interval.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createManager, defineConfig, defineDaemon } from "../src/index.js";
import { percentile, settledHeap, sleepMs } from "./lib.js";

const [mode, daemonsArg, intervalArg, durationArg, warmupArg] = process.argv.slice(2);
const N = Number(daemonsArg ?? 10_000);
const INTERVAL = Number(intervalArg ?? 100);
const DURATION = Number(durationArg ?? 10_000);
const WARMUP = Number(warmupArg ?? 2_000);

// Allocated before the memory baseline, so the daemons are charged only for themselves.
const capacity = Math.ceil(N * (DURATION / INTERVAL) * 1.2) + 1000;
const lateness = new Float64Array(capacity);
let samples = 0;
let dropped = 0;
const previous = new Float64Array(N);
let work = 0;

/**
 * The trivial work of one tick, plus its lateness record. Lateness is recorded from the first
 * tick on and the count reset when the window opens: a flag turned on at the window's start
 * deoptimized the code that had inlined this function (ringmaster's batch, Node's
 * `listOnTimeout`) at the start of the window being measured, and its recompilation was charged
 * to the loops.
 */
function tick(i: number): void {
  const now = performance.now();
  const prev = previous[i]!;
  if (prev !== 0) {
    if (samples < capacity) lateness[samples++] = now - (prev + INTERVAL);
    else dropped++;
  }
  previous[i] = now;
  work++;
}

async function main(): Promise<void> {
  if (mode !== "ringmaster" && mode !== "bare") throw new Error(`unknown mode ${mode}`);
  const heapBefore = settledHeap();
  const t0 = performance.now();
  let stop: () => Promise<void>;
  if (mode === "bare") {
    const handles: NodeJS.Timeout[] = [];
    for (let i = 0; i < N; i++) handles.push(setInterval(() => tick(i), INTERVAL));
    stop = async () => {
      for (const h of handles) clearInterval(h);
    };
  } else {
    const daemons = [];
    for (let i = 0; i < N; i++) {
      daemons.push(
        defineDaemon({
          name: `periodic_${i}`,
          interval: INTERVAL,
          cycle: () => tick(i),
        }),
      );
    }
    const manager = createManager(defineConfig({ daemons, store: "memory:" }), {
      logger: false,
    });
    const report = await manager.start();
    if (report.running.length !== N)
      throw new Error(`only ${report.running.length} of ${N} daemons running`);
    stop = async () => {
      await manager.shutdown();
    };
  }
  const startMs = performance.now() - t0;
  await sleepMs(WARMUP);
  const heapAfter = settledHeap();
  await sleepMs(INTERVAL * 2); // let the ticks delayed by the GCs catch up
  // BENCH_PROFILE=file.cpuprofile: a CPU profile of the measured window only.
  const profilePath = process.env.BENCH_PROFILE;
  const session = profilePath ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  const work0 = work;
  samples = 0;
  dropped = 0;
  await sleepMs(DURATION);
  const counted = samples;
  const droppedInWindow = dropped;
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - w0;
  const ticks = work - work0;
  if (session && profilePath) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(profilePath, JSON.stringify(profile));
    session.disconnect();
  }
  const t1 = performance.now();
  await stop();
  const stopMs = performance.now() - t1;
  const sample = lateness.subarray(0, counted);
  console.log(
    JSON.stringify({
      mode,
      daemons: N,
      intervalMs: INTERVAL,
      wallMs,
      ticks,
      expectedTicks: Math.round((N * wallMs) / INTERVAL),
      cpuMs: (cpu.user + cpu.system) / 1000,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      latenessMs: {
        samples: counted,
        dropped: droppedInWindow,
        p50: percentile(sample, 0.5),
        p90: percentile(sample, 0.9),
        p99: percentile(sample, 0.99),
        max: percentile(sample, 1),
      },
      bytesPerDaemon: (heapAfter - heapBefore) / N,
      startMs,
      stopMs,
    }),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
