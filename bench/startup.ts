/**
 * 1. Start-up along the graph: 89 daemons (the seeds' scale) in six dependency levels, each
 * setup waiting 20 ms on a real timer. Time until all are ready, against the critical-path bound
 * (levels × 20 ms) and against `startup: "sequential"` on the same registry.
 *
 *   npx tsx bench/startup.ts        npm run bench:startup
 */
import { createManager, type DaemonSpec, defineConfig, defineDaemon } from "../src/index.js";
import { type Benchmark, median, row, runIfMain } from "./lib.js";

export const DAEMONS = 89;
/** Daemons per level; level 0 has no dependencies, level k depends on level k−1 (and maybe lower). */
export const LEVEL_SIZES = [6, 12, 18, 20, 18, 15] as const;
export const SETUP_MS = 20;
const PARALLEL_TRIALS = 7;
const SEQUENTIAL_TRIALS = 2;

/** A small deterministic generator, so every run builds the same graph. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface Registry {
  daemons: DaemonSpec[];
  /** Names in a topological order (level by level): the sequential start-up order. */
  order: string[];
  levels: number;
}

/**
 * Builds the registry: every daemon of level k ≥ 1 depends on one to three daemons of level k−1
 * (so its level is exactly k) and, sometimes, one of a lower level.
 */
export function buildRegistry(setup: () => Promise<void>): Registry {
  if (LEVEL_SIZES.reduce((a, b) => a + b, 0) !== DAEMONS) throw new Error("level sizes ≠ 89");
  const random = lcg(89);
  const levels: string[][] = [];
  const daemons: DaemonSpec[] = [];
  LEVEL_SIZES.forEach((size, level) => {
    const names: string[] = [];
    for (let i = 0; i < size; i++) {
      const name = `l${level}_daemon_${i}`;
      const deps = new Set<string>();
      if (level > 0) {
        const below = levels[level - 1]!;
        const count = 1 + Math.floor(random() * 3);
        for (let j = 0; j < count; j++) deps.add(below[Math.floor(random() * below.length)]!);
        if (level > 1 && random() < 0.3) {
          const lower = levels[Math.floor(random() * (level - 1))]!;
          deps.add(lower[Math.floor(random() * lower.length)]!);
        }
      }
      names.push(name);
      daemons.push(defineDaemon({ name, dependsOn: [...deps], setup }));
    }
    levels.push(names);
  });
  return { daemons, order: levels.flat(), levels: levels.length };
}

const realSetup = () => new Promise<void>((resolve) => setTimeout(resolve, SETUP_MS));

/** Milliseconds from `start()` until every daemon is running. */
async function timeStartup(mode: "parallel" | "sequential"): Promise<number> {
  const registry = buildRegistry(realSetup);
  const manager = createManager(
    defineConfig({
      daemons: registry.daemons,
      startup: mode,
      startupOrder: registry.order,
      store: "memory:",
    }),
    { logger: false },
  );
  const t0 = performance.now();
  const report = await manager.start();
  const ms = performance.now() - t0;
  await manager.shutdown();
  if (report.running.length !== DAEMONS)
    throw new Error(`${mode}: only ${report.running.length} of ${DAEMONS} daemons running`);
  return ms;
}

/** What one 20 ms setTimeout really takes here: the timer's own overshoot, for the notes. */
async function timerOvershoot(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await realSetup();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const benchmark: Benchmark = {
  name: "startup",
  title: "Start-up along the graph (89 daemons, 6 levels, 20 ms setups)",
  async run() {
    const levels = LEVEL_SIZES.length;
    const bound = levels * SETUP_MS;
    await timeStartup("parallel"); // warm-up: module loading, JIT
    const parallel: number[] = [];
    for (let i = 0; i < PARALLEL_TRIALS; i++) parallel.push(await timeStartup("parallel"));
    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL_TRIALS; i++) sequential.push(await timeStartup("sequential"));
    const p = median(parallel);
    const s = median(sequential);
    const oneTimer = await timerOvershoot();
    return {
      rows: [
        row({
          metric: "all ready (parallel, median)",
          figure: p,
          unit: "ms",
          baseline: bound,
          baselineLabel: `bound ${levels}×${SETUP_MS} ms`,
          target: { on: "ratio", kind: "max", value: 1.15, label: "≤ 1.15× bound" },
        }),
        row({
          metric: "speed-up over sequential",
          figure: p,
          unit: "ms",
          baseline: s,
          baselineLabel: "sequential",
          ratio: s / p,
          target: { on: "ratio", kind: "min", value: 10, label: "≥ 10× faster" },
        }),
      ],
      details: {
        daemons: DAEMONS,
        levelSizes: LEVEL_SIZES,
        setupMs: SETUP_MS,
        boundMs: bound,
        parallelMs: parallel,
        sequentialMs: sequential,
        oneSetTimeout20Ms: oneTimer,
        timerBoundMs: levels * oneTimer,
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
