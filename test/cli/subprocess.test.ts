import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { RINGMASTER, ROOT, tempDir } from "./helpers.js";
import { deadPort, until } from "./remote-helpers.js";

const run = promisify(execFile);

const CONFIG = (port: number, store: string) => `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const ticker = defineDaemon({
  name: "ticker",
  interval: "200ms",
  cycle(ctx) { ctx.log.info("tick", { n: 1 }); },
  health: () => ({ healthy: true, message: "fine" }),
});
const listener = defineDaemon({ name: "listener", dependsOn: [ticker] });
export default defineConfig({
  daemons: [ticker, listener],
  store: ${JSON.stringify(store)},
  http: { host: "127.0.0.1", port: ${port} },
});
`;

/** `node --import tsx src/cli/bin.ts …` from the repository root. */
const BIN = ["--import", "tsx", "src/cli/bin.ts"];

/** Runs the CLI as a process; resolves with its exit code and output (never rejects on exit codes). */
async function ringmaster(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function collect(child: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr?.on("data", (d) => {
    out.stderr += d;
  });
  return out;
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on("exit", (code, signal) => resolve({ code, signal }));
  });

describe("the CLI as a process against a running `ringmaster start`", () => {
  it("status, restart, logs, logs -f, then stop: the manager exits 0 and prints its report", async () => {
    const dir = tempDir();
    const port = await deadPort();
    const store = `sqlite:${join(dir, "state.db")}`;
    const config = join(dir, "ringmaster.config.mjs");
    await import("node:fs").then((fs) => fs.writeFileSync(config, CONFIG(port, store)));
    const manager = spawn(process.execPath, [...BIN, "start", "--config", config, "--no-tui"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const managerOut = collect(manager);
    const children: ChildProcess[] = [manager];
    try {
      await until(
        () => managerOut.stdout.includes("ringmaster: 2 running"),
        `the manager to start (got: ${managerOut.stdout}${managerOut.stderr})`,
        30_000,
      );
      const url = `http://127.0.0.1:${port}`;
      expect(managerOut.stdout).toContain(`HTTP server listening on ${url}`);

      // The address comes from the config's http section.
      const status = await ringmaster(["status", "--config", config]);
      expect(status).toMatchObject({ code: 0, stderr: "" });
      expect(status.stdout).toBe(
        "Daemon Status:\nticker: RUNNING (healthy)\nlistener: RUNNING (healthy)\n",
      );

      const restart = await ringmaster(["restart", "TICKER", "--config", config]);
      expect(restart).toEqual({ code: 0, stdout: "ticker: RUNNING (healthy)\n", stderr: "" });
      const json = await ringmaster(["status", "ticker", "--json", "--url", url]);
      expect(JSON.parse(json.stdout).daemons[0]).toMatchObject({ state: "running", restarts: 1 });

      const logs = await until(async () => {
        const r = await ringmaster(["logs", "ticker", "-n", "3", "--url", url]);
        return r.stdout.split("\n").length > 3 ? r : undefined;
      }, "three log lines");
      expect(logs.code).toBe(0);
      for (const line of logs.stdout.trimEnd().split("\n"))
        expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}ticker tick \{"n":1\}$/);

      const follow = spawn(
        process.execPath,
        [...BIN, "logs", "ticker", "-f", "-n", "1", "--url", url],
        {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      children.push(follow);
      const followed = collect(follow);
      await until(
        () => followed.stdout.split("\n").length > 4,
        "new lines while following",
        20_000,
      );
      follow.kill("SIGINT");
      expect(await exited(follow)).toEqual({ code: 0, signal: null });
      expect(followed.stderr).toBe("");

      const stop = await ringmaster(["stop", "--url", url]);
      expect(stop.code).toBe(0);
      expect(stop.stdout).toMatch(
        new RegExp(
          `^asking the manager at ${url.replace(/\./g, "\\.")} to shut down…\n` +
            "(  stopped (ticker|listener) \\(shutdown\\)\n){0,2}" +
            `the manager at ${url.replace(/\./g, "\\.")} has shut down: \\d daemons? stopped, in \\d+m?s\n$`,
        ),
      );
      expect(await exited(manager)).toEqual({ code: 0, signal: null });
      expect(managerOut.stdout).toMatch(
        /shutting down on request \(ringmaster stop\)…[^\n]*\nshutdown complete: 2 stopped in \d+m?s\n {2}stopped {2}listener/,
      );
      expect(managerOut.stderr).toBe("");

      // Gone: status reads what it recorded, and says so.
      const after = await ringmaster(["status", "--config", config]);
      expect(after.code).toBe(0);
      expect(after.stdout.split("\n")[0]).toBe(
        `no manager at ${url}; showing the last recorded state from ${store}`,
      );
      expect(after.stdout).toContain("ticker: STOPPED (restarts 1)");
      const restartGone = await ringmaster(["restart", "ticker", "--config", config]);
      expect(restartGone.code).toBe(3);
      expect(restartGone.stderr).toContain(`no ringmaster manager reachable at ${url}`);
    } finally {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }, 90_000);
});
