/**
 * 7. Restart latency: a daemon's `run` rejects ("crash"), and the manager restarts it with zero
 * backoff (`restart: { initialDelay: 0 }`), in process. The figure is the time from the crash to
 * the `daemon:state` event that says it is `running` again, over {@link RESTARTS} restarts.
 *
 *   npx tsx bench/restart.ts      npm run bench:restart
 *
 * Baseline: a bare `for (;;) { try { await run() } catch {} }` loop, timed from the crash to
 * `run` being called again — the least any in-process restart can cost.
 */
import { createManager, defineConfig, defineDaemon } from "../src/index.js";
import { type Benchmark, percentile, row, runIfMain } from "./lib.js";

const RESTARTS = Number(process.env.RESTARTS ?? 1_000);
const WARMUP = 100;

async function ringmasterRestarts(): Promise<{
  running: Float64Array;
  rerun: Float64Array;
  phases: Record<string, number>;
}> {
  let crash: ((error: Error) => void) | undefined;
  let onRun: (() => void) | undefined;
  let runAt = 0;
  const daemon = defineDaemon({
    name: "crasher",
    restart: { initialDelay: 0, maxRestarts: 1_000_000_000 },
    run: (ctx) =>
      new Promise<void>((resolve, reject) => {
        runAt = performance.now();
        crash = reject;
        ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        onRun?.();
      }),
  });
  const manager = createManager(defineConfig({ daemons: [daemon], store: "memory:" }), {
    logger: false,
  });
  const at: Record<string, number> = {};
  let onRunning: (() => void) | undefined;
  manager.on("daemon:state", (change) => {
    at[change.to] = performance.now();
    if (change.to === "running") onRunning?.();
  });
  await manager.start();
  const running = new Float64Array(RESTARTS);
  const rerun = new Float64Array(RESTARTS);
  const phaseSums = { toBackoff: 0, toStarting: 0, toRunning: 0 };
  for (let i = -WARMUP; i < RESTARTS; i++) {
    if (!crash) await new Promise<void>((resolve) => (onRun = resolve));
    const fire = crash!;
    crash = undefined;
    const ranAgain = new Promise<void>((resolve) => (onRun = resolve));
    const isRunning = new Promise<void>((resolve) => (onRunning = resolve));
    const t0 = performance.now();
    fire(new Error("crash"));
    await isRunning;
    await ranAgain;
    if (i < 0) continue;
    running[i] = at.running! - t0;
    rerun[i] = runAt - t0;
    phaseSums.toBackoff += at.backoff! - t0;
    phaseSums.toStarting += at.starting! - at.backoff!;
    phaseSums.toRunning += at.running! - at.starting!;
  }
  const status = manager.status("crasher");
  await manager.shutdown();
  if (status.restarts < RESTARTS) throw new Error(`only ${status.restarts} restarts counted`);
  const phases = Object.fromEntries(
    Object.entries(phaseSums).map(([k, v]) => [`${k}MeanMs`, v / RESTARTS]),
  );
  return { running, rerun, phases };
}

async function bareRestarts(): Promise<Float64Array> {
  let crash: ((error: Error) => void) | undefined;
  let runAt = 0;
  let stopped = false;
  let onRun: (() => void) | undefined;
  const run = () =>
    new Promise<void>((resolve, reject) => {
      runAt = performance.now();
      crash = reject;
      if (stopped) resolve();
      onRun?.();
    });
  const loop = (async () => {
    while (!stopped) {
      try {
        await run();
      } catch {
        // a crash: run it again at once
      }
    }
  })();
  const samples = new Float64Array(RESTARTS);
  for (let i = -WARMUP; i < RESTARTS; i++) {
    if (!crash) await new Promise<void>((resolve) => (onRun = resolve));
    const fire = crash!;
    crash = undefined;
    const ranAgain = new Promise<void>((resolve) => (onRun = resolve));
    const t0 = performance.now();
    fire(new Error("crash"));
    await ranAgain;
    if (i >= 0) samples[i] = runAt - t0;
  }
  stopped = true;
  crash?.(new Error("stop"));
  await loop;
  return samples;
}

const benchmark: Benchmark = {
  name: "restart",
  title: `Restart latency (crash → running, zero backoff, ${RESTARTS} restarts)`,
  async run() {
    const bare = await bareRestarts();
    const rm = await ringmasterRestarts();
    const us = (ms: number) => ms * 1000;
    return {
      rows: [
        row({
          metric: "crash → running, median",
          figure: us(percentile(rm.running, 0.5)),
          unit: "µs",
          baseline: us(percentile(bare, 0.5)),
          baselineLabel: "bare retry loop",
          target: { on: "figure", kind: "max", value: 1000, label: "< 1 ms" },
        }),
        row({
          metric: "crash → running, p99",
          figure: us(percentile(rm.running, 0.99)),
          unit: "µs",
          baseline: us(percentile(bare, 0.99)),
          baselineLabel: "bare retry loop",
        }),
      ],
      details: {
        restarts: RESTARTS,
        ringmasterMicros: {
          runningP50: us(percentile(rm.running, 0.5)),
          runningP99: us(percentile(rm.running, 0.99)),
          runCalledAgainP50: us(percentile(rm.rerun, 0.5)),
          runCalledAgainP99: us(percentile(rm.rerun, 0.99)),
        },
        ringmasterPhasesMs: rm.phases,
        bareMicros: { p50: us(percentile(bare, 0.5)), p99: us(percentile(bare, 0.99)) },
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
