/**
 * 2. Supervision overhead: 10,000 periodic daemons at 100 ms doing trivial work for 10 s, against
 * 10,000 bare `setInterval` loops doing the same work. CPU time, tick lateness (p50, p99) and
 * memory per daemon. Each side runs in a child process of its own (`supervision-child.ts`), one
 * after the other, so neither disturbs the other's measurements, `SUPERVISION_ROUNDS` times in
 * turn (bare, ringmaster, bare, …); each figure is the median of its side's rounds, and the CPU
 * ratio the median of the rounds' own ratios (each ringmaster run over the bare run just before
 * it). One pair of runs on these VMs moved the CPU ratio between 1.1× and 2.3× for the same code,
 * both sides swinging with the machine: a round's two runs share the machine's mood, and the
 * ratio of two medians taken apart can pair a fast bare run with a slow ringmaster one or the
 * other way round (three rounds of 1.66×, 1.63× and 1.46× gave 1.46× so).
 *
 *   npx tsx bench/supervision.ts      npm run bench:supervision
 *
 * Env: SUPERVISION_DAEMONS (10000), SUPERVISION_DURATION_MS (10000), SUPERVISION_WARMUP_MS (2000),
 * SUPERVISION_ROUNDS (5).
 */
import { type Benchmark, median, row, runChild, runIfMain } from "./lib.js";

const DAEMONS = Number(process.env.SUPERVISION_DAEMONS ?? 10_000);
const INTERVAL_MS = 100;
const DURATION_MS = Number(process.env.SUPERVISION_DURATION_MS ?? 10_000);
const WARMUP_MS = Number(process.env.SUPERVISION_WARMUP_MS ?? 2_000);
const ROUNDS = Math.max(1, Number(process.env.SUPERVISION_ROUNDS ?? 5));

export interface SideResult {
  mode: "ringmaster" | "bare";
  daemons: number;
  wallMs: number;
  ticks: number;
  expectedTicks: number;
  cpuMs: number;
  latenessMs: { samples: number; p50: number; p90: number; p99: number; max: number };
  bytesPerDaemon: number;
  startMs: number;
  stopMs: number;
}

const side = (mode: "ringmaster" | "bare") =>
  runChild<SideResult>("supervision-child.ts", [
    mode,
    String(DAEMONS),
    String(INTERVAL_MS),
    String(DURATION_MS),
    String(WARMUP_MS),
  ]);

const benchmark: Benchmark = {
  name: "supervision",
  title: `Supervision overhead (${DAEMONS.toLocaleString("en")} periodic daemons at ${INTERVAL_MS} ms, ${DURATION_MS / 1000} s, median of ${ROUNDS} rounds)`,
  async run() {
    const rounds: Array<{ bare: SideResult; ringmaster: SideResult }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      const bareRound = await side("bare");
      rounds.push({ bare: bareRound, ringmaster: await side("ringmaster") });
    }
    const bare = medianSide(rounds.map((r) => r.bare));
    const rm = medianSide(rounds.map((r) => r.ringmaster));
    const cpuRatio = median(rounds.map((r) => r.ringmaster.cpuMs / r.bare.cpuMs));
    const label = "bare setInterval";
    return {
      rows: [
        row({
          metric: `CPU time over ${DURATION_MS / 1000} s (ratio: median of rounds)`,
          figure: rm.cpuMs,
          unit: "ms",
          baseline: bare.cpuMs,
          ratio: cpuRatio,
          baselineLabel: label,
          target: { on: "ratio", kind: "max", value: 1.5, label: "≤ 1.5× bare" },
        }),
        row({
          metric: "cycles run per second",
          figure: (rm.ticks / rm.wallMs) * 1000,
          unit: "/s",
          baseline: (bare.ticks / bare.wallMs) * 1000,
          baselineLabel: label,
          target: null,
        }),
        row({
          metric: "tick lateness p50",
          figure: rm.latenessMs.p50,
          unit: "ms",
          baseline: bare.latenessMs.p50,
          baselineLabel: label,
          target: null,
        }),
        row({
          metric: "tick lateness p99",
          figure: rm.latenessMs.p99,
          unit: "ms",
          baseline: bare.latenessMs.p99,
          baselineLabel: label,
          target: { on: "figure", kind: "max", value: 5, label: "< 5 ms" },
        }),
        row({
          metric: "memory per daemon",
          figure: rm.bytesPerDaemon / 1024,
          unit: "KB",
          baseline: bare.bytesPerDaemon / 1024,
          baselineLabel: "per bare loop",
          target: { on: "figure", kind: "max", value: 4, label: "< 4 KB" },
        }),
      ],
      details: {
        intervalMs: INTERVAL_MS,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
        rounds,
        bare,
        ringmaster: rm,
      },
    };
  },
};

/** Each figure of a side: the median of its rounds (figure by figure, not one round's). */
function medianSide(results: SideResult[]): SideResult {
  const of = (pick: (r: SideResult) => number) => median(results.map(pick));
  const first = results[0] as SideResult;
  return {
    ...first,
    wallMs: of((r) => r.wallMs),
    ticks: of((r) => r.ticks),
    expectedTicks: of((r) => r.expectedTicks),
    cpuMs: of((r) => r.cpuMs),
    latenessMs: {
      samples: of((r) => r.latenessMs.samples),
      p50: of((r) => r.latenessMs.p50),
      p90: of((r) => r.latenessMs.p90),
      p99: of((r) => r.latenessMs.p99),
      max: of((r) => r.latenessMs.max),
    },
    bytesPerDaemon: of((r) => r.bytesPerDaemon),
    startMs: of((r) => r.startMs),
    stopMs: of((r) => r.stopMs),
  };
}

export default benchmark;
runIfMain(import.meta, benchmark);
