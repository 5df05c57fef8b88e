/**
 * What every benchmark shares: the row it reports, the verdict against its target, the machine
 * it ran on, the JSON it leaves in `bench/results/`, and the table it prints.
 *
 * A benchmark module exports a {@link Benchmark} as default and calls {@link runIfMain}, so it
 * runs alone (`npx tsx bench/startup.ts`) and from the suite (`bench/run.ts`), which starts each
 * one in a child process of its own.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, "results");

/**
 * A target: `max` (the figure or ratio must be at most `value`) or `min` (at least `value`),
 * applied to the row's `ratio` or to its `figure`.
 */
export interface Target {
  on: "ratio" | "figure";
  kind: "max" | "min";
  value: number;
  /** How the target reads in the table, e.g. "≤ 1.15× bound". */
  label: string;
}

/** One line of the results table. */
export interface Row {
  metric: string;
  figure: number;
  baseline: number | null;
  /** `figure / baseline` unless the benchmark says otherwise (e.g. baseline / figure for speed-ups). */
  ratio: number | null;
  unit: string;
  /** What the baseline is, in a few words. */
  baselineLabel: string;
  target: Target | null;
  verdict: string;
  met: boolean | null;
}

export interface RowInput {
  metric: string;
  figure: number;
  unit: string;
  baseline?: number | null;
  baselineLabel?: string;
  /** Default `figure / baseline`. */
  ratio?: number | null;
  target?: Target | null;
}

export function row(input: RowInput): Row {
  const baseline = input.baseline ?? null;
  const ratio =
    input.ratio !== undefined
      ? input.ratio
      : baseline !== null && baseline !== 0
        ? input.figure / baseline
        : null;
  const target = input.target ?? null;
  const { verdict, met } = judge(target, input.figure, ratio);
  return {
    metric: input.metric,
    figure: input.figure,
    baseline,
    ratio,
    unit: input.unit,
    baselineLabel: input.baselineLabel ?? "",
    target,
    verdict,
    met,
  };
}

/** "met", or "missed by X%" measured against the target value. */
export function judge(
  target: Target | null,
  figure: number,
  ratio: number | null,
): { verdict: string; met: boolean | null } {
  if (!target) return { verdict: "—", met: null };
  const value = target.on === "ratio" ? ratio : figure;
  if (value === null || !Number.isFinite(value)) return { verdict: "no figure", met: false };
  const met = target.kind === "max" ? value <= target.value : value >= target.value;
  if (met) return { verdict: "met", met };
  const by =
    target.kind === "max" ? (value / target.value - 1) * 100 : (1 - value / target.value) * 100;
  return { verdict: `missed by ${by.toFixed(by < 10 ? 1 : 0)}%`, met };
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  date: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export interface Result {
  name: string;
  title: string;
  machine: Machine;
  durationMs: number;
  rows: Row[];
  /** Raw numbers behind the rows, for whoever wants to look further. */
  details: Record<string, unknown>;
}

export interface BenchOutput {
  rows: Row[];
  details?: Record<string, unknown>;
}

export interface Benchmark {
  /** File stem in `bench/` and in `bench/results/`: `startup` → `bench/startup.ts`. */
  name: string;
  title: string;
  run(): Promise<BenchOutput>;
}

export async function runBenchmark(bench: Benchmark): Promise<Result> {
  const t0 = performance.now();
  const out = await bench.run();
  const result: Result = {
    name: bench.name,
    title: bench.title,
    machine: machine(),
    durationMs: Math.round(performance.now() - t0),
    rows: out.rows,
    details: out.details ?? {},
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${bench.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Runs `bench` when its module is the entry point, prints its table and exits. */
export function runIfMain(meta: ImportMeta, bench: Benchmark): void {
  const entry = process.argv[1];
  if (!entry || meta.url !== pathToFileURL(entry).href) return;
  runBenchmark(bench).then(
    (result) => {
      console.log(`\n${formatTable([result])}`);
      console.log(`\nwrote bench/results/${bench.name}.json (${result.durationMs} ms)`);
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

// ---- statistics -----------------------------------------------------------------------------

/** The q-quantile (0..1) of `values` by nearest rank; sorts a copy. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 0.5);
}

// ---- formatting ------------------------------------------------------------------------------

export function fmt(value: number | null, unit = ""): string {
  if (value === null || !Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  let text: string;
  if (unit === "/s") {
    text =
      abs >= 1e6
        ? `${(value / 1e6).toFixed(2)}M`
        : abs >= 1e3
          ? `${(value / 1e3).toFixed(1)}k`
          : value.toFixed(0);
  } else if (abs >= 100) text = value.toFixed(0);
  else if (abs >= 10) text = value.toFixed(1);
  else if (abs >= 1) text = value.toFixed(2);
  else text = value.toFixed(3);
  return `${text}${unit ? (unit === "×" ? "×" : ` ${unit}`) : ""}`;
}

/** A Markdown table (readable as plain text too) of every row of `results`. */
export function formatTable(results: Result[]): string {
  const header = ["benchmark", "metric", "figure", "baseline", "ratio", "target", "verdict"];
  const lines: string[][] = [];
  for (const result of results) {
    for (const r of result.rows) {
      lines.push([
        result.name,
        r.metric,
        fmt(r.figure, r.unit),
        r.baseline === null ? "—" : `${fmt(r.baseline, r.unit)} (${r.baselineLabel})`,
        r.ratio === null ? "—" : `${fmt(r.ratio)}×`,
        r.target?.label ?? "—",
        r.verdict,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...lines.map(line),
  ].join("\n");
}

// ---- child processes -------------------------------------------------------------------------

/**
 * Runs `node --expose-gc --import tsx <script> ...args` and resolves with the JSON object the
 * child prints on its last line of stdout. Other output goes to stderr.
 */
export function runChild<T>(script: string, args: string[], nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", ...nodeArgs, join(BENCH_DIR, script), ...args],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(" ")} exited with ${code}: ${out.slice(-2000)}`));
        return;
      }
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-2000)}`));
      }
    });
  });
}

/** Forces a full collection a few times (needs --expose-gc) and returns heapUsed. */
export function settledHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc to measure memory");
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
