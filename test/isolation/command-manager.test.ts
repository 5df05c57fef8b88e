import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  createManager,
  type DaemonSpec,
  defineConfig,
  defineDaemon,
  defineJob,
  type JobSpec,
  type Manager,
} from "../../src/index.js";
import { pidRunning } from "../../src/isolation/proc-stats.js";
import { inspectManager } from "../../src/manager/internal-access.js";
import { fixture, freePort, waitUntil } from "./command-helpers.js";

// Real programs, a real clock (processes take real time), the memory store.
const managers: Manager[] = [];
const dirs: string[] = [];
function manager(daemons: DaemonSpec[], jobs: JobSpec[] = []) {
  const m = createManager(defineConfig({ daemons, jobs, store: "memory:", http: false }), {
    logger: false,
  });
  managers.push(m);
  return m;
}
const internals = (m: Manager) => inspectManager(m);
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-cmd-"));
  dirs.push(dir);
  return dir;
};

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("command daemons in a manager", () => {
  it("a program that exits 3 restarts with backoff and shows exit code 3 in lastError", async () => {
    const crasher = defineDaemon({
      name: "crasher",
      command: ["sh", "-c", "echo attempt; exit 3"],
      restart: { initialDelay: "100ms", maxRestarts: 2 },
    });
    const m = manager([crasher]);
    const delays: number[] = [];
    m.on("daemon:restart", (r) => {
      delays.push(r.delayMs);
    });
    await m.start();
    expect(await waitUntil(() => m.status("crasher").state === "failed", 10_000)).toBe(true);
    expect(delays).toEqual([100, 200]);
    expect(m.status("crasher").lastError).toBe("exit code 3");
    expect(m.status("crasher").restarts).toBe(2);
  });

  it("stdout lines are info and stderr lines warn log lines of the daemon; config arrives in env", async () => {
    const { z } = await import("zod");
    const talker = defineDaemon({
      name: "talker",
      config: z.object({ batchSize: z.number().default(8) }),
      command: [
        "sh",
        "-c",
        'echo "batch $RINGMASTER_TALKER_BATCH_SIZE"; echo careful >&2; sleep 100',
      ],
    });
    const m = manager([talker]);
    await m.start();
    const logs = async () =>
      (await internals(m).queryLogs({ daemon: "talker" })).map(
        (l: { level: string; message: string }) => [l.level, l.message],
      );
    expect(await waitUntil(async () => (await logs()).length >= 3, 5000)).toBe(true);
    expect(await logs()).toEqual(
      expect.arrayContaining([
        ["info", "batch 8"],
        ["warn", "careful"],
      ]),
    );
  });

  it("a program that ignores SIGTERM is gone within stopTimeout + killTimeout of a stop", async () => {
    const dir = tempDir();
    const stubborn = defineDaemon({
      name: "stubborn",
      command: ["sh", "-c", `trap '' TERM; echo $$ > ${dir}/pid; while :; do sleep 1; done`],
      stopTimeout: "2s",
      killTimeout: "300ms",
    });
    const m = manager([stubborn]);
    await m.start();
    expect(await waitUntil(() => existsSync(join(dir, "pid")), 5000)).toBe(true);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    const asked = Date.now();
    await m.stopDaemon("stubborn");
    expect(await pidRunning(pid)).toBe(false);
    expect(Date.now() - asked).toBeLessThan(2000 + 300 + 500);
    expect(m.status("stubborn").state).toBe("stopped");
  });

  it("readiness by line: starting until the line, then running", async () => {
    const slow = defineDaemon({
      name: "slow",
      command: ["sh", "-c", "sleep 0.4; echo listening on 1234; sleep 100"],
      ready: { line: /listening on \d+/ },
    });
    const m = manager([slow]);
    const started = m.start();
    expect(await waitUntil(() => m.status("slow").state === "starting", 2000)).toBe(true);
    const report = await started;
    expect(report.running).toEqual(["slow"]);
  });

  it("readiness and health by http", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    const server = defineDaemon({
      name: "server",
      command: ["python3", fixture("serve.py"), String(port), "0.3"],
      ready: { http: url },
      health: { http: url },
    });
    const m = manager([server]);
    const report = await m.start();
    expect(report.running).toEqual(["server"]);
    const health = await m.checkHealth("server");
    expect(health.status).toBe("healthy");
    expect(health.source).toBe("hook");
  });

  it("a start that misses readyTimeout fails and leaves no process", async () => {
    const dir = tempDir();
    const never = defineDaemon({
      name: "never",
      command: ["sh", "-c", `echo $$ > ${dir}/pid; sleep 100`],
      ready: { line: /ready/ },
      readyTimeout: "500ms",
      restart: { policy: "never" },
    });
    const m = manager([never]);
    await m.start();
    expect(m.status("never").state).toBe("failed");
    expect(m.status("never").lastError).toMatch(/not ready within/);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    expect(await waitUntil(async () => !(await pidRunning(pid)), 6000)).toBe(true);
  });
});

describe("command jobs in a manager", () => {
  const exportJob = defineJob({
    type: "export",
    command: () => ["python3", fixture("job.py")],
  });
  const stuckJob = defineJob({
    type: "stuck",
    command: (payload: { dir: string }) => [
      "sh",
      "-c",
      `trap '' TERM; echo $$ > ${payload.dir}/pid; while :; do sleep 1; done`,
    ],
    killTimeout: "300ms",
  });

  it("a process job reports progress and completes", async () => {
    const m = manager([], [exportJob]);
    await m.start();
    const jobs = internals(m).jobs!.forDaemon("test");
    const id = await jobs.launch("export", { name: "scene", steps: 4 }, { reason: "test" });
    const done = await jobs.monitor(id);
    expect(done.status).toBe("completed");
    expect(done.progress).toBe(100);
    expect(done.result).toEqual({ exitCode: 0 });
  });

  it("a cancelled process job leaves no process behind", async () => {
    const dir = tempDir();
    const m = manager([], [stuckJob]);
    await m.start();
    const jobs = internals(m).jobs!.forDaemon("test");
    const id = await jobs.launch("stuck", { dir }, { reason: "test" });
    expect(await waitUntil(() => existsSync(join(dir, "pid")), 5000)).toBe(true);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    await jobs.cancel(id, "not needed");
    const done = await jobs.monitor(id);
    expect(done.status).toBe("cancelled");
    expect(await pidRunning(pid)).toBe(false);
  });
});

describe.runIf(process.platform === "linux")("a manager killed with kill -9", () => {
  it("leaves no program running a few seconds later", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "pid");
    const child = spawn(process.execPath, ["--import", "tsx", fixture("command-manager.ts")], {
      env: { ...process.env, PID_FILE: pidFile },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      expect(
        await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", 15_000),
      ).toBe(true);
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(await pidRunning(pid)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the reaper has heard of it
      child.kill("SIGKILL");
      expect(await waitUntil(async () => !(await pidRunning(pid)), 5000)).toBe(true);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
