import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { findRunningManager } from "../../src/cli/running-manager.js";
import { loadConfigFile } from "../../src/config/load.js";
import { createManager, type Manager } from "../../src/index.js";
import { PG_URL, postgresAvailable, randomSchema } from "../store/helpers/databases.js";
import { type Captured, cli, RINGMASTER, ROOT, signalSource, tempDir } from "./helpers.js";
import { deadPort, until } from "./remote-helpers.js";

const quietIO: CliIO = {
  stdout: { write: () => {} },
  stderr: { write: () => {} },
  env: {},
  exit: () => {},
};

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/**
 * The seeds' fleet in small: event_router and auto_sync start by default; evaluation (not
 * auto-started) depends on model_registry (not auto-started either); gpu_check cannot run here;
 * `extra` daemons are declared only where the CLI reads the config.
 */
const FLEET = (o: { port: number | false; store: string; extra?: string }) => `
import { defineConfig, defineDaemon, DoNotRestart } from "${RINGMASTER}";
const up = { interval: "1s", cycle() {}, health: () => ({ healthy: true, message: "fine" }) };
const eventRouter = defineDaemon({ name: "event_router", ...up });
const autoSync = defineDaemon({ name: "auto_sync", dependsOn: [eventRouter], ...up });
const modelRegistry = defineDaemon({ name: "model_registry", autoStart: false, ...up });
const evaluation = defineDaemon({ name: "evaluation", autoStart: false, dependsOn: [modelRegistry], category: "training", ...up });
const gpuCheck = defineDaemon({ name: "gpu_check", autoStart: false, critical: false, setup() { throw new DoNotRestart("no GPU on this host"); } });
${o.extra ?? ""}
export default defineConfig({
  daemons: [eventRouter, autoSync, modelRegistry, evaluation, gpuCheck${o.extra ? ", reporting" : ""}],
  store: ${JSON.stringify(o.store)},
  http: ${o.port === false ? "false" : `{ host: "127.0.0.1", port: ${o.port} }`},
});
`;

const managers: Manager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 5_000 })));
});

/** A manager running the fleet from `file` in this process (as `ringmaster start` would). */
async function runningFrom(file: string): Promise<Manager> {
  const manager = createManager(await loadConfigFile(file), { logger: false });
  managers.push(manager);
  await manager.start();
  return manager;
}

/** A config file for the fleet, and the manager already running it on its port. */
async function fleet(extra?: string) {
  const dir = tempDir();
  const port = await deadPort();
  const store = `sqlite:${join(dir, "state.db")}`;
  const running = join(dir, "running.config.mjs");
  const file = join(dir, "ringmaster.config.mjs");
  const fs = await import("node:fs");
  fs.writeFileSync(running, FLEET({ port, store }));
  fs.writeFileSync(file, FLEET({ port, store, ...(extra ? { extra } : {}) }));
  const manager = await runningFrom(running);
  return { dir, file, port, store, manager, url: `http://127.0.0.1:${port}` };
}

describe("ringmaster start while a manager runs for the config", () => {
  it("starts the named daemons in it (any case), saying what was started, pulled in or already running", async () => {
    const { dir, url, manager } = await fleet();
    expect(manager.status("evaluation").state).toBe("stopped");
    const r = await cli(["start", "EVALUATION", "--daemons", "auto_sync"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toEqual([
      `a manager already runs at ${url} (it serves the config's HTTP address); starting there:`,
      "  model_registry: RUNNING (healthy) — pulled in (evaluation depends on it)",
      "  evaluation: RUNNING (healthy) — started",
      "  auto_sync: RUNNING (healthy) — already running",
    ]);
    expect(manager.status("evaluation")).toMatchObject({ state: "running" });
    expect(manager.status("model_registry")).toMatchObject({
      state: "running",
      pulledInBy: ["evaluation"],
    });
    // The same manager serves on: no second one was started.
    expect(r.stdout).not.toContain("ringmaster:");
  });

  it("says a daemon once when an earlier name pulled it in", async () => {
    const { dir } = await fleet();
    const r = await cli(["start", "evaluation", "model_registry"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n").slice(1)).toEqual([
      "  model_registry: RUNNING (healthy) — pulled in (evaluation depends on it)",
      "  evaluation: RUNNING (healthy) — started",
    ]);
  });

  it("starts a category's daemons there too, and exits 1 for one that does not come up", async () => {
    const { dir, manager } = await fleet();
    const ok = await cli(["start", "--category", "TRAINING"], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("  evaluation: RUNNING (healthy) — started");
    const bad = await cli(["start", "gpu_check"], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      / {2}gpu_check: FAILED \(.*no GPU on this host.*\) — did not start\n$/,
    );
    expect(manager.status("gpu_check").state).toBe("failed");
  });

  for (const kind of ["sqlite", "postgres"] as const) {
    it(`finds it through the store's node record when the config's port is 0 (${kind}, same node id)`, async () => {
      if (kind === "postgres" && !(await postgresAvailable())) return;
      const dir = tempDir();
      const schema = randomSchema();
      const store =
        kind === "sqlite" ? `sqlite:${join(dir, "state.db")}` : `${PG_URL}?schema=${schema}`;
      const fs = await import("node:fs");
      fs.writeFileSync(join(dir, "ringmaster.config.mjs"), FLEET({ port: 0, store }));
      try {
        const manager = await runningFrom(join(dir, "ringmaster.config.mjs"));
        const r = await cli(["start", "evaluation"], { cwd: dir });
        expect(r.stderr).toBe("");
        expect(r.stdout.split("\n")[0]).toMatch(
          new RegExp(
            `^a manager already runs at ${manager.url} \\(it runs as node .+/all\\); starting there:$`,
          ),
        );
        expect(manager.status("evaluation").state).toBe("running");
        // Another node id (here by profile) is another node of the cluster: not this manager.
        const other = await findRunningManager(
          await loadConfigFile(join(dir, "ringmaster.config.mjs")),
          {
            ...quietIO,
            cwd: dir,
          },
          { profile: "training_node" },
        );
        expect(other).toBeUndefined();
      } finally {
        await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 5_000 })));
        if (kind === "postgres") await dropSchema(schema);
      }
    });
  }

  it("names an unknown daemon with the closest one, before starting any", async () => {
    const { dir, url, manager } = await fleet(
      'const reporting = defineDaemon({ name: "reporting", autoStart: false, setup() {} });',
    );
    // Unknown to the config: a usage error, as without a manager.
    const typo = await cli(["start", "evalution"], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: unknown daemon "evalution" (did you mean "evaluation"?)\n');
    // Known to the config but not to the running manager (it runs an older config).
    const r = await cli(["start", "evaluation", "reporting"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: unknown daemon "reporting" in the manager at ${url}; its daemons: event_router, auto_sync, model_registry, evaluation, gpu_check\n`,
    );
    expect(manager.status("evaluation").state).toBe("stopped");
  });

  it("refuses a start with no selection: the manager runs already", async () => {
    const { dir, url } = await fleet();
    const r = await cli(["start"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: a manager already runs for this config at ${url}\n`);
    expect(r.stderr).toContain("ringmaster start NAME…");
  });

  it("sends the API token the config resolves to", async () => {
    const { dir, manager } = await fleet();
    await manager.shutdown({ timeout: 5_000 });
    managers.length = 0;
    const secured = await (async () => {
      const m = createManager(await loadConfigFile(join(dir, "running.config.mjs")), {
        logger: false,
        env: { RINGMASTER_API_TOKEN: "t0ken" },
      });
      managers.push(m);
      await m.start();
      return m;
    })();
    const refused = await cli(["start", "evaluation"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the manager refused POST /api/daemons/evaluation/start");
    const r = await cli(["start", "evaluation"], {
      cwd: dir,
      env: { RINGMASTER_API_TOKEN: "t0ken" },
    });
    expect(r.code).toBe(0);
    expect(secured.status("evaluation").state).toBe("running");
  });

  it("--url names the manager; none answering there is exit 3", async () => {
    const dir = tempDir({
      "ringmaster.config.mjs": FLEET({ port: false, store: "memory:" }),
    });
    const port = await deadPort();
    const r = await cli(["start", "evaluation", "--url", `127.0.0.1:${port}`], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `error: no ringmaster manager answers at http://127.0.0.1:${port} (--url)\nerror: leave --url out to start a manager here in the foreground\n`,
    );
  });
});

describe("ringmaster start NAME beside a `ringmaster start` process", () => {
  it("starts the daemon in that process's manager instead of failing on its busy port", async () => {
    const dir = tempDir();
    const port = await deadPort();
    const file = join(dir, "ringmaster.config.mjs");
    await import("node:fs").then((fs) =>
      fs.writeFileSync(file, FLEET({ port, store: `sqlite:${join(dir, "state.db")}` })),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/bin.ts", "start", "--config", file, "--no-tui"],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    try {
      await until(() => stdout.includes("ringmaster: 2 running"), "the manager process", 30_000);
      const r = await cli(["start", "evaluation"], { cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("  evaluation: RUNNING (healthy) — started");
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      // The process's shutdown report lists the daemon started through it.
      expect(stdout).toMatch(/shutdown complete: 4 stopped/);
      expect(stdout).toMatch(/stopped {2}evaluation/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 40_000);
});

describe("ringmaster start NAME with no manager running", () => {
  it("starts a manager in the foreground with that daemon and its dependencies", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": FLEET({ port: false, store: "memory:" }) });
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["start", "evaluation", "--no-tui"], { cwd: dir, signals, out });
    await until(() => out.stdout.includes("ringmaster: 2 running"), "the start report");
    expect(out.stdout).toContain("pulled in model_registry");
    signals.emit("SIGINT");
    expect((await run).code).toBe(0);
  });

  it("refuses names together with --profile, --category or --all (exit 2)", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": FLEET({ port: false, store: "memory:" }) });
    const r = await cli(["start", "evaluation", "--all"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: daemon names (evaluation) cannot be used with --profile, --category or --all\n",
    );
  });
});
