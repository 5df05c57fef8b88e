import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DUPLICATE_SIGNAL_MS } from "../../src/internal/interrupts.js";
import { type Captured, cli, RINGMASTER, ROOT, signalSource, tempDir } from "./helpers.js";

/** Two quick daemons: a ticker and a listener that depends on it; cleanup takes a moment. */
const QUICK = `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const ticker = defineDaemon({
  name: "ticker",
  category: "demo",
  interval: "200ms",
  cycle(ctx) { ctx.log.info("tick"); },
});
const listener = defineDaemon({
  name: "listener",
  category: "demo",
  dependsOn: [ticker],
  async cleanup(ctx) { await ctx.sleep(20).catch(() => {}); },
});
export default defineConfig({ daemons: [ticker, listener], profiles: { both: ["ticker", "listener"] }, store: "memory:", http: false });
`;

/** A daemon whose setup leaves a marker file, and a registry error elsewhere. */
const BROKEN = (marker: string) => `
import { writeFileSync } from "node:fs";
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const ticker = defineDaemon({ name: "ticker", setup() { writeFileSync(${JSON.stringify(marker)}, "ran"); } });
const listener = defineDaemon({ name: "listener", dependsOn: ["tikcer"] });
export default defineConfig({ daemons: [ticker, listener], store: "memory:", http: false });
`;

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ringmaster start", () => {
  it("runs the daemons, and on SIGINT shuts down cleanly, prints the report and exits 0", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": QUICK });
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["start", "--profile", "BOTH"], { cwd: dir, signals, out });
    await until(
      () => out.stdout.includes("ringmaster: 2 running, 0 failed, 0 waiting"),
      "the start report",
    );
    await until(() => out.stdout.includes("[ticker] tick"), "a log line of the ticker");
    signals.emit("SIGINT");
    const r = await run;
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const at = lines.indexOf("shutting down… (press Ctrl-C again to exit at once)");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^shutdown complete: 2 stopped in \d+m?s$/);
    // dependents stop first
    expect(lines[at + 2]).toMatch(/^ {2}stopped {2}listener {2}\d+m?s$/);
    expect(lines[at + 3]).toMatch(/^ {2}stopped {2}ticker {4}\d+m?s$/);
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });

  it("exits 130 at once on a second SIGINT while shutdown is still waiting (an echo of the first does not count)", async () => {
    const slow = QUICK.replace(
      "await ctx.sleep(20).catch(() => {});",
      "await new Promise((r) => setTimeout(r, 10_000));",
    );
    const dir = tempDir({ "ringmaster.config.mjs": slow });
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["start", "--daemons", "LISTENER"], { cwd: dir, signals, out });
    await until(() => out.stdout.includes("ringmaster: 2 running"), "the start report");
    expect(out.stdout).toContain("pulled in ticker");
    signals.emit("SIGINT");
    // The same Ctrl-C relayed by a wrapper (npx, tsx): still shutting down.
    signals.emit("SIGINT");
    await new Promise((r) => setTimeout(r, DUPLICATE_SIGNAL_MS + 100));
    expect(out.stderr).not.toContain("interrupted again");
    signals.emit("SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("interrupted again: exiting now");
    expect(r.stdout).not.toContain("shutdown complete");
  });

  it("prints one line per config problem and exits 1 before any daemon runs", async () => {
    const dir = tempDir();
    const marker = join(dir, "setup-ran");
    const file = join(dir, "broken.config.mjs");
    await import("node:fs").then((fs) => fs.writeFileSync(file, BROKEN(marker)));
    const r = await cli(["start", "--config", file, "--no-tui"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: listener depends on "tikcer", which is not declared (did you mean "ticker"?)\n',
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a bad environment value, naming the variable, before any daemon runs", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": QUICK });
    const r = await cli(["start"], { cwd: dir, env: { RINGMASTER_TICKER_INTERVAL: "soon" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*ticker.*interval.*"soon".*RINGMASTER_TICKER_INTERVAL/);
    expect(r.stdout).not.toContain("running");
  });

  it("refuses an unknown profile with a suggestion (exit 2)", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": QUICK });
    const r = await cli(["start", "--profile", "bth"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: unknown profile "bth" (did you mean "both"?); profiles: both\n');
  });

  it("refuses two selections at once (exit 2)", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": QUICK });
    const r = await cli(["start", "--profile", "both", "--all"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be used with option '--all'");
  });

  it("as a process (node --import tsx src/cli/bin.ts start --no-tui): SIGINT gives a clean exit 0 and the report", async () => {
    const dir = tempDir({ "quick.config.mjs": QUICK });
    // Node with tsx's loader, so the process group holds the CLI alone: wrappers (npm exec,
    // tsx's own CLI) relay SIGINT to their child and may answer 130 for themselves when the child
    // got it from the group first, which would hide the CLI's own exit code.
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/bin.ts",
        "start",
        "--config",
        join(dir, "quick.config.mjs"),
        "--no-tui",
      ],
      { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      await until(
        () => /ringmaster: 2 running/.test(stdout),
        `"running" in the output (got: ${stdout}${stderr})`,
        30_000,
      );
      // Like Ctrl-C on a terminal: the whole process group gets SIGINT.
      process.kill(-(child.pid as number), "SIGINT");
      const { code, signal } = await exited;
      expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
      expect(stdout).toMatch(/shutdown complete: 2 stopped in \d+m?s\n {2}stopped {2}listener/);
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), "SIGKILL");
    }
  }, 40_000);
});
