import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createEventBus } from "../../src/events/index.js";
import { systemClock } from "../../src/internal/clock.js";
import { createDaemonRunner, runIsolatedJob } from "../../src/isolation/host-runner.js";
import { createJobService } from "../../src/jobs/service.js";
import { defineJob } from "../../src/registry/define.js";
import type { JobContext } from "../../src/registry/types.js";
import { createStore } from "../../src/store/open.js";
import { launcher } from "./fixtures/daemons.js";
import { alive, DAEMONS, hostContext, JOBS, type LogLine, waitFor } from "./helpers.js";

function jobContext(id: string, signal = new AbortController().signal) {
  const progress: Array<[number, string | undefined]> = [];
  const logs: LogLine[] = [];
  const line = (level: LogLine["level"]) => (message: string, fields?: Record<string, unknown>) =>
    logs.push({ level, message, fields });
  const ctx: JobContext = {
    id,
    attempt: 1,
    signal,
    log: { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") },
    progress: (percent, message) => progress.push([percent, message]),
  };
  return { ctx, progress, logs };
}

describe.each(["worker", "process"] as const)("a %s job", (kind) => {
  it("runs off the main thread, reports progress and log lines, and returns its result", async () => {
    const job = jobContext("j1");
    const result = (await runIsolatedJob({ kind, module: JOBS }, "square", { n: 7 }, job.ctx)) as {
      square: number;
      pid: number;
    };
    expect(result.square).toBe(49);
    if (kind === "process") expect(result.pid).not.toBe(process.pid);
    expect(job.progress).toEqual([[50, "half way"]]);
    expect(job.logs.map((l) => l.message)).toContain("squaring");
  });

  it("fails with the handler's error", async () => {
    await expect(
      runIsolatedJob({ kind, module: JOBS }, "fails", {}, jobContext("j2").ctx),
    ).rejects.toThrow("job failed on purpose");
  });

  it("that ignores its signal is ended killTimeout after a cancel", async () => {
    const controller = new AbortController();
    const attempt = runIsolatedJob(
      { kind, module: JOBS, killTimeout: 200 },
      "hang",
      {},
      jobContext("j3", controller.signal).ctx,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    controller.abort();
    await expect(attempt).rejects.toMatchObject({ name: "GuestExitError" });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("jobs from an isolated daemon", () => {
  const stores: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it("launch and monitor through the host's job service; sleep waits on the host", async () => {
    const store = createStore("memory:");
    await store.open();
    stores.push(store);
    const crunch = defineJob({ type: "crunch", run: (p: { n: number }) => p.n * 10 });
    const service = createJobService({
      store,
      clock: systemClock,
      jobs: [crunch],
      node: { id: "n", host: "h", pid: process.pid, profile: null },
      logger: pino({ level: "silent" }),
      pollMs: 20,
    });
    await service.start();
    const host = hostContext(createEventBus({ clock: systemClock }), "launcher", {
      jobs: service.forDaemon("launcher"),
    });
    const runner = createDaemonRunner(launcher, { kind: "process", module: DAEMONS });
    await runner.start(host.ctx);
    expect(host.readyCalls()).toBe(1);
    const running = runner.run();
    await waitFor(() => host.heartbeats.length > 0, 10_000, "the job's heartbeat");
    expect(host.heartbeats[0]).toMatchObject({ status: "completed" });
    const [job] = await service.forDaemon("launcher").list({ daemon: "launcher" });
    expect(job).toMatchObject({ type: "crunch", result: 20, launchedBy: "launcher" });
    host.controller.abort();
    await running;
    await waitFor(() => host.logs.some((l) => l.message === "sleep ended: AbortedError"));
    const pid = runner.stats().pid!;
    await runner.stop(1000);
    expect(alive(pid)).toBe(false);
    await service.stop(100);
  });
});
