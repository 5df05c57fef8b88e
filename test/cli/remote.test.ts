import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type DaemonContext, defineDaemon, defineJob } from "../../src/index.js";
import { type Captured, cli, RINGMASTER, signalSource, tempDir } from "./helpers.js";
import { broken, deadPort, served, startBroken, ticker, until } from "./remote-helpers.js";

const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

describe("ringmaster status (against a running manager)", () => {
  it("prints one daemon a line in the seed form and exits 0", async () => {
    const degraded = defineDaemon({
      name: "auto_sync",
      interval: 100,
      cycle() {},
      health: () => ({ status: "degraded", message: "2 sync errors" }),
      healthInterval: 50,
    });
    const { url, manager } = await served([ticker("event_router"), degraded, broken("evaluation")]);
    await startBroken(manager, "evaluation");
    await until(() => manager.status("auto_sync").health.status === "degraded", "degraded health");
    const r = await cli(["status", "--url", url]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain("event_router: RUNNING (healthy)");
    expect(lines).toContain("auto_sync: RUNNING (degraded - 2 sync errors)");
    expect(lines.find((l) => l.startsWith("evaluation:"))).toMatch(
      /^evaluation: BACKOFF \(restart 1\/5 in \d+s, last error: cannot reach the cluster API\)$/,
    );
    expect(lines[0]).toBe("Daemon Status:"); // the seeds' header (seed 004)
    expect(lines).toHaveLength(4);
  });

  it("takes names in any case, and --json for scripts", async () => {
    const { url } = await served([ticker("event_router"), ticker("auto_sync")]);
    const r = await cli(["status", "AUTO_SYNC", "--json", "--url", url]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ source: "manager", url });
    expect(out.daemons).toHaveLength(1);
    expect(out.daemons[0]).toMatchObject({
      name: "auto_sync",
      state: "running",
      restarts: 0,
      line: "auto_sync: RUNNING (healthy)",
    });
  });

  it("exits 1 for an unknown name, with a suggestion", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["status", "auto_snyc", "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: unknown daemon "auto_snyc" (did you mean "auto_sync"?)\n');
  });

  it("colours the state on a terminal", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["status", "--url", url], { tty: true });
    expect(r.stdout).toBe(
      "Daemon Status:\nauto_sync: \x1b[32mRUNNING\x1b[39m\x1b[32m (healthy)\x1b[39m\n",
    );
  });

  it("--cluster shows the node first", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["status", "--cluster", "--url", url]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^NODE\s+HOST\s+PID\s+PROFILE\s+URL\s+STATE$/);
    expect(lines[1]).toContain(`(this)`);
    expect(lines[1]).toContain(url);
    expect(lines[1]).toMatch(/ready$/);
    expect(lines).toContain("auto_sync: RUNNING (healthy)");
  });

  it("--watch redraws until Ctrl-C, then exits 0", async () => {
    const { url, manager } = await served([ticker("auto_sync"), ticker("other")]);
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["status", "--watch", "--url", url], { signals, out });
    await until(() => out.stdout.includes("other: RUNNING (healthy)"), "a first frame");
    await manager.pauseDaemon("other");
    await until(() => out.stdout.includes("other: PAUSED (healthy)"), "a new frame");
    signals.emit("SIGINT");
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ringmaster status · http:\/\/127\.0\.0\.1:\d+ · .* · Ctrl-C to exit/);
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });
});

describe("ringmaster restart, pause, resume, stop <names>", () => {
  it("restart brings the daemon back to RUNNING and counts a restart", async () => {
    const { url, manager } = await served([ticker("auto_sync")]);
    const r = await cli(["restart", "Auto_Sync", "--url", url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("auto_sync: RUNNING (healthy)\n");
    expect(manager.status("auto_sync").restarts).toBe(1);
  });

  it("an unknown name is one clear line with a suggestion, exit 1", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["restart", "auto_snyc", "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('error: unknown daemon "auto_snyc" (did you mean "auto_sync"?)\n');
  });

  it("pause then resume; resuming a running daemon is a conflict (exit 1)", async () => {
    const { url } = await served([ticker("auto_sync"), ticker("evaluation")]);
    const paused = await cli(["pause", "AUTO_SYNC", "evaluation", "--url", url]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toBe("auto_sync: PAUSED (healthy)\nevaluation: PAUSED (healthy)\n");
    const resumed = await cli(["resume", "auto_sync", "--url", url]);
    expect(resumed.stdout).toBe("auto_sync: RUNNING (healthy)\n");
    const again = await cli(["resume", "auto_sync", "evaluation", "--url", url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("error: cannot resume auto_sync: it is running\n");
    expect(again.stdout).toBe("evaluation: RUNNING (healthy)\n");
  });

  it("stop <names> stops each and prints its state", async () => {
    const { url, manager } = await served([ticker("auto_sync"), ticker("evaluation")]);
    const r = await cli(["stop", "evaluation", "--url", url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("evaluation: STOPPED\n");
    expect(manager.status("evaluation").state).toBe("stopped");
    expect(manager.status("auto_sync").state).toBe("running");
  });

  it("a manager with a token refuses changes without it (exit 1, with a hint) and takes --token", async () => {
    const { url } = await served([ticker("auto_sync")], {}, { RINGMASTER_API_TOKEN: "s3cret" });
    const refused = await cli(["restart", "auto_sync", "--url", url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: the manager refused POST \/api\/daemons\/auto_sync\/restart: /,
    );
    expect(refused.stderr).toContain("pass --token");
    const withFlag = await cli(["restart", "auto_sync", "--url", url, "--token", "s3cret"]);
    expect(withFlag.code).toBe(0);
    const withEnv = await cli(["restart", "auto_sync"], {
      env: { RINGMASTER_URL: url, RINGMASTER_API_TOKEN: "s3cret" },
      cwd: tempDir(),
    });
    expect(withEnv.code).toBe(0);
  });
});

describe("ringmaster stop (the whole manager)", () => {
  it("asks the manager to shut down, prints each daemon as it stops, waits until it is gone", async () => {
    const { url, manager } = await served([
      ticker("event_router"),
      ticker("auto_sync", { dependsOn: ["event_router"] }),
    ]);
    const r = await cli(["stop", "--url", url]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`asking the manager at ${url} to shut down…`);
    expect(lines).toContain("  stopped auto_sync (shutdown)");
    expect(lines).toContain("  stopped event_router (shutdown)");
    expect(lines.indexOf("  stopped auto_sync (shutdown)")).toBeLessThan(
      lines.indexOf("  stopped event_router (shutdown)"),
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^the manager at ${url.replace(/\./g, "\\.")} has shut down: 2 daemons stopped, in \\d+m?s$`,
      ),
    );
    expect(manager.liveness().ok).toBe(true); // the process lives on; its daemons and server are gone
    expect(manager.status("auto_sync").state).toBe("stopped");
  });
});

describe("ringmaster logs", () => {
  it("prints recent lines as time level daemon message {fields}", async () => {
    const { url, manager } = await served([ticker("auto_sync")]);
    await until(() => manager.status("auto_sync").cycles >= 3, "three cycles");
    // Lines reach the store (where the manager reads them from) within a write-buffer flush.
    const r = await until(async () => {
      const out = await cli(["logs", "AUTO_SYNC", "--limit", "2", "--url", url]);
      return out.stdout.split("\n").length > 2 ? out : undefined;
    }, "two stored lines");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(new RegExp(`^${ISO} INFO  auto_sync tick \\{"n":1\\}$`));
  });

  it("--level filters; a bad --since is a usage error (exit 2)", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const warn = await cli(["logs", "auto_sync", "--level", "warn", "--url", url]);
    expect(warn.code).toBe(0);
    expect(warn.stdout).toBe("");
    const bad = await cli(["logs", "auto_sync", "--since", "yesterday-ish", "--url", url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--since <when>' argument 'yesterday-ish' is invalid");
  });

  it("an unknown daemon is one line with a suggestion (exit 1)", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["logs", "auto_snyc", "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: unknown daemon "auto_snyc" (did you mean "auto_sync"?)\n');
  });

  it("-f follows new lines until Ctrl-C (exit 0)", async () => {
    const quiet = defineDaemon({
      name: "quiet",
      run: async (ctx: DaemonContext) => {
        await ctx.sleep(60_000).catch(() => {});
      },
    } as never);
    const { url } = await served([ticker("auto_sync"), quiet]);
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["logs", "auto_sync", "-f", "-n", "1", "--url", url], { signals, out });
    await until(() => out.stdout.split("\n").length > 4, "followed lines");
    signals.emit("SIGINT");
    const r = await run;
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const times = lines.map((l) => l.slice(0, 24));
    expect([...times].sort()).toEqual(times); // in order, none twice out of order
    for (const line of lines) expect(line).toMatch(/ INFO {2}auto_sync tick /);
  });
});

describe("ringmaster jobs, dlq, nodes", () => {
  const withJobs = () => {
    const launcher = defineDaemon({
      name: "training_trigger",
      async setup(ctx: DaemonContext) {
        await ctx.jobs.launch(
          "training",
          { epochs: 3 },
          {
            reason: "enough new games",
            runAt: Date.now() + 3_600_000,
          },
        );
      },
    } as never);
    return served([launcher], { jobs: [defineJob({ type: "training", run: () => "done" })] });
  };

  it("lists jobs, shows one with its actions, cancels it; cancelling again is a conflict", async () => {
    const { url } = await withJobs();
    const list = await cli(["jobs", "--url", url]);
    expect(list.code).toBe(0);
    const [head, row] = list.stdout.split("\n");
    expect(head).toMatch(
      /^ID\s+TYPE\s+STATUS\s+PROGRESS\s+ATTEMPTS\s+LAUNCHED BY\s+UPDATED\s+ERROR$/,
    );
    expect(row).toMatch(/^\S+\s+training\s+pending\s+0%\s+0\/3\s+training_trigger\s+/);
    const id = (row as string).split(/\s+/)[0] as string;

    const show = await cli(["jobs", "show", id, "--url", url]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^id:\s+\S+$/m);
    expect(show.stdout).toMatch(/^payload:\s+\{"epochs":3\}$/m);
    expect(show.stdout).toMatch(
      new RegExp(`^ {2}${ISO}\\s+LAUNCHED\\s+training_trigger\\s+enough new games$`, "m"),
    );

    const cancel = await cli(["jobs", "cancel", id, "--reason", "superseded", "--url", url]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toBe(`job ${id} (training): cancelled\n`);
    const again = await cli(["jobs", "cancel", id, "--url", url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`error: cannot cancel job ${id}: it is cancelled\n`);

    const json = await cli(["jobs", "list", "--status", "cancelled", "--json", "--url", url]);
    expect(JSON.parse(json.stdout)).toMatchObject([
      { id, status: "cancelled", error: "superseded" },
    ]);
  });

  it("an unknown job is one line (exit 1)", async () => {
    const { url } = await withJobs();
    const r = await cli(["jobs", "show", "nope", "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: no job with id "nope"\n');
  });

  it("dlq lists nothing when nothing failed; retrying an unknown id exits 1", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const list = await cli(["dlq", "--url", url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("(no dead letters)\n");
    const retry = await cli(["dlq", "retry", "nope", "--url", url]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toBe('error: no dead letter with id "nope"\n');
  });

  it("nodes shows this manager with its URL", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const r = await cli(["nodes", "--url", url]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[1]).toMatch(
      new RegExp(
        `\\(this\\)\\s+\\S+\\s+${process.pid}\\s+-\\s+${url.replace(/\./g, "\\.")}\\s+ready$`,
      ),
    );
  });
});

describe("with no manager running", () => {
  it("mutating commands exit 3, saying no manager is reachable and how to start one", async () => {
    const port = await deadPort();
    for (const argv of [
      ["restart", "auto_sync"],
      ["stop"],
      ["pause", "x"],
      ["jobs", "cancel", "1"],
      ["dlq", "retry", "1"],
    ]) {
      const r = await cli([...argv, "--url", `http://127.0.0.1:${port}`], { cwd: tempDir() });
      expect(r.code, argv.join(" ")).toBe(3);
      expect(r.stderr).toBe(
        `error: no ringmaster manager reachable at http://127.0.0.1:${port} (ECONNREFUSED; address from --url)\n` +
          "error: start one with `ringmaster start --config <file>`, or point at a running one with --url or RINGMASTER_URL\n",
      );
    }
  });

  it("finds the manager's address in the config (with PREFIX_DAEMON_HEALTH_PORT) and names the config in the hint", async () => {
    const port = await deadPort();
    const dir = tempDir({
      "ringmaster.config.mjs": `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
export default defineConfig({ daemons: [defineDaemon({ name: "auto_sync" })], store: "memory:", http: { host: "0.0.0.0" }, envPrefix: "RINGRIFT" });
`,
    });
    const r = await cli(["restart", "auto_sync"], {
      cwd: dir,
      env: { RINGRIFT_DAEMON_HEALTH_PORT: String(port) },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `reachable at http://127.0.0.1:${port} (ECONNREFUSED; address from the config)`,
    );
    expect(r.stderr).toContain("`ringmaster start --config ringmaster.config.mjs`");
  });

  it("status with a memory store has nothing to show: exit 3", async () => {
    const port = await deadPort();
    const r = await cli(["status", "--url", `http://127.0.0.1:${port}`], {
      cwd: tempDir(),
      env: { RINGMASTER_STORE: "memory:" },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("and the store is memory:, so no state was recorded");
  });

  it("status, logs, jobs and nodes read the store a previous manager wrote, and say so", async () => {
    const launcher = defineDaemon({
      name: "training_trigger",
      async setup(ctx: DaemonContext) {
        await ctx.jobs.launch(
          "training",
          {},
          { reason: "enough new games", runAt: Date.now() + 3_600_000 },
        );
      },
    } as never);
    const { manager, store } = await served([ticker("auto_sync"), launcher, broken("evaluation")], {
      jobs: [defineJob({ type: "training", run: () => "done" })],
    });
    await startBroken(manager, "evaluation");
    await until(() => manager.status("auto_sync").cycles >= 2, "two cycles");
    await manager.shutdown();
    const port = await deadPort();
    const env = { RINGMASTER_STORE: store, RINGMASTER_URL: `http://127.0.0.1:${port}` };
    const notice = `no manager at http://127.0.0.1:${port}; showing the last recorded state from ${store}`;
    const cwd = tempDir();

    const status = await cli(["status"], { env, cwd });
    expect(status.code).toBe(0);
    const lines = status.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(notice);
    expect(lines[1]).toMatch(/^node \S+ \(pid \d+ on \S+\), last heartbeat .* ago:$/);
    expect(lines).toContain("auto_sync: STOPPED");
    expect(lines).toContain("training_trigger: STOPPED");
    expect(lines.find((l) => l.startsWith("evaluation:"))).toMatch(
      /^evaluation: STOPPED \(restarts 1, last error: .*cannot reach the cluster API\)$/,
    );

    const json = await cli(["status", "EVALUATION", "--json"], { env, cwd });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      source: "store",
      store,
      daemons: [{ name: "evaluation", state: "stopped" }],
    });

    const logs = await cli(["logs", "auto_sync", "-n", "1"], { env, cwd });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(
      new RegExp(
        `^${notice.replace(/[.()]/g, "\\$&")}\n${ISO} INFO  auto_sync tick \\{"n":1\\}\n$`,
      ),
    );
    const follow = await cli(["logs", "auto_sync", "-f"], { env, cwd });
    expect(follow.code).toBe(3);
    expect(follow.stderr).toContain("--follow needs a running manager");

    const jobs = await cli(["jobs"], { env, cwd });
    expect(jobs.code).toBe(0);
    expect(jobs.stdout.split("\n")[0]).toBe(notice);
    expect(jobs.stdout).toMatch(/training\s+pending\s+0%\s+0\/3\s+training_trigger/);

    const nodes = await cli(["nodes"], { env, cwd });
    expect(nodes.code).toBe(0);
    expect(nodes.stdout.split("\n")[0]).toBe(notice);
    expect(nodes.stdout).toContain(String(process.pid));
  });

  it("a store file that does not exist is not created: exit 3", async () => {
    const file = join(tempDir(), "missing.db");
    const port = await deadPort();
    const r = await cli(["status", "--url", `http://127.0.0.1:${port}`], {
      cwd: tempDir(),
      env: { RINGMASTER_STORE: `sqlite:${file}` },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`and there is no recorded state: ${file} does not exist`);
    expect(await import("node:fs").then((fs) => fs.existsSync(file))).toBe(false);
  });
});

describe("help", () => {
  for (const command of [
    "status",
    "stop",
    "restart",
    "pause",
    "resume",
    "logs",
    "jobs",
    "dlq",
    "nodes",
  ]) {
    it(`${command} --help shows usage with an example and exits 0`, async () => {
      const r = await cli([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: ringmaster ${command}`);
      expect(r.stdout).toMatch(/Examples?:\n {2}\$ ringmaster /);
    });
  }
});
