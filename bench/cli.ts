/**
 * CLI latency: wall time of `ringmaster status` as an operator runs it (the built bin,
 * `dist/cli/bin.js`, a fresh Node process each call), against a bare `node -e ""` start measured
 * in the same run, in three situations:
 *
 * - a manager runs and the CLI finds it at its default URL (no config loaded);
 * - a manager runs and the CLI is given the example's `.ts` config (`--config …ts`);
 * - no manager runs: the CLI loads the `.ts` config and reads the last recorded state from its
 *   SQLite store.
 *
 * Targets (issue 16): < 300 ms median against a running manager, < 800 ms with a `.ts` config.
 *
 *   npx tsx bench/cli.ts      npm run bench:cli
 *
 * Runs `npm run build` first when `dist/cli/bin.js` is missing. Calls interleave the situations
 * and the baseline, {@link CALLS} of each.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Benchmark, median, row, runIfMain } from "./lib.js";

const CALLS = Number(process.env.CLI_CALLS ?? 9);
const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "dist/cli/bin.js");
const CONFIG = join(ROOT, "examples/training-pipeline/ringmaster.config.ts");
const PORT = 18_790;
/** The manager and the config-loading calls find the port here, as an operator's env would say it. */
const PORT_ENV = { RINGMASTER_DAEMON_HEALTH_PORT: String(PORT) };

/** Wall milliseconds of one `node args…` run in `cwd`; throws unless it exits 0. */
function timed(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
    encoding: "utf8",
  });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr || r.stdout}`);
  return ms;
}

async function startManager(cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "start", "--config", CONFIG, "--no-tui"], {
    cwd,
    stdio: ["ignore", "ignore", "ignore"],
    env: { ...process.env, ...PORT_ENV, NO_COLOR: "1" },
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/ready`);
      if (res.status < 500) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill("SIGKILL");
  throw new Error("the example manager did not answer /ready within 30 s");
}

function stopManager(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
}

const bench: Benchmark = {
  name: "cli",
  title: "CLI: `ringmaster status` wall time per call",
  async run() {
    if (!existsSync(BIN)) spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-cli-"));
    const url = `http://127.0.0.1:${PORT}`;
    const bare: number[] = [];
    const running: number[] = [];
    const runningTs: number[] = [];
    const recorded: number[] = [];
    try {
      const manager = await startManager(dir);
      timed([BIN, "status", "--url", url], dir); // warm the disk cache and the JIT's files
      for (let i = 0; i < CALLS; i++) {
        bare.push(timed(["-e", ""], dir));
        running.push(timed([BIN, "status"], dir, { RINGMASTER_URL: url }));
        runningTs.push(timed([BIN, "status", "--config", CONFIG], dir, PORT_ENV));
      }
      await stopManager(manager);
      for (let i = 0; i < CALLS; i++)
        recorded.push(timed([BIN, "status", "--config", CONFIG], dir, PORT_ENV));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const base = median(bare);
    const baselineLabel = 'bare node -e ""';
    const situation = (metric: string, values: number[], bound: number) =>
      row({
        metric,
        figure: median(values),
        unit: "ms",
        baseline: base,
        baselineLabel,
        target: { on: "figure", kind: "max", value: bound, label: `< ${bound} ms` },
      });
    return {
      rows: [
        situation("status, manager running (median)", running, 300),
        situation("status --config .ts, manager running", runningTs, 800),
        situation("status --config .ts, no manager (store)", recorded, 800),
      ],
      details: { calls: CALLS, bare, running, runningTs, recorded },
    };
  },
};

export default bench;
runIfMain(import.meta, bench);
