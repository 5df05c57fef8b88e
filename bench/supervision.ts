/**
 * 2. Supervision overhead: 10,000 periodic daemons at 100 ms doing trivial work for 10 s, against
 * 10,000 bare `setInterval` loops doing the same work. CPU time, tick lateness (p50, p99) and
 * memory per daemon. Each side runs in a child process of its own (`supervision-child.ts`), one
 * after the other, so neither disturbs the other's measurements.
 *
 *   npx tsx bench/supervision.ts      npm run bench:supervision
 *
 * Env: SUPERVISION_DAEMONS (10000), SUPERVISION_DURATION_MS (10000), SUPERVISION_WARMUP_MS (2000).
 */
import { type Benchmark, row, runChild, runIfMain } from "./lib.js";

const DAEMONS = Number(process.env.SUPERVISION_DAEMONS ?? 10_000);
const INTERVAL_MS = 100;
const DURATION_MS = Number(process.env.SUPERVISION_DURATION_MS ?? 10_000);
const WARMUP_MS = Number(process.env.SUPERVISION_WARMUP_MS ?? 2_000);

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
  title: `Supervision overhead (${DAEMONS.toLocaleString("en")} periodic daemons at ${INTERVAL_MS} ms, ${DURATION_MS / 1000} s)`,
  async run() {
    const bare = await side("bare");
    const rm = await side("ringmaster");
    const label = "bare setInterval";
    return {
      rows: [
        row({
          metric: `CPU time over ${DURATION_MS / 1000} s`,
          figure: rm.cpuMs,
          unit: "ms",
          baseline: bare.cpuMs,
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
        bare,
        ringmaster: rm,
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
