import { afterEach, describe, expect, it } from "vitest";
import { isolationTag } from "../../src/cli/lines.js";
import { createManager, defineConfig, defineDaemon, type Manager } from "../../src/index.js";
import {
  exitingWorker,
  greeter,
  jobLauncher,
  leakyProcess,
  processJob,
  stuckWorker,
} from "./fixtures/fleet.js";
import { waitFor } from "./helpers.js";

let manager: Manager | undefined;
afterEach(async () => {
  await manager?.shutdown({ timeout: 5000 });
  manager = undefined;
});

describe("isolated daemons under the manager", () => {
  it("restarts a leaking process daemon at maxMemory while an inline canary keeps cycling", async () => {
    const canary = defineDaemon({ name: "canary", interval: 10, cycle() {} });
    manager = createManager(defineConfig({ daemons: [leakyProcess, canary], store: "memory:" }), {
      logger: false,
    });
    await manager.start();
    await waitFor(() => manager!.status("leaky_process").restarts >= 1, 20_000, "a restart");
    expect(manager.status("leaky_process").lastError).toBe("memory limit");
    const cycles = manager.status("canary").cycles;
    await waitFor(() => manager!.status("canary").cycles > cycles + 5, 5000, "canary cycles");
    expect(manager.status("canary")).toMatchObject({ state: "running", restarts: 0 });
  });

  it("fails only the worker that calls process.exit(1), with exit code 1, and restarts it", async () => {
    const canary = defineDaemon({ name: "canary", interval: 10, cycle() {} });
    manager = createManager(defineConfig({ daemons: [exitingWorker, canary], store: "memory:" }), {
      logger: false,
    });
    await manager.start();
    await waitFor(() => manager!.status("exiting_worker").restarts >= 1, 15_000, "a restart");
    expect(manager.status("exiting_worker").lastError).toBe("exit code 1");
    await waitFor(
      () => manager!.status("exiting_worker").state === "running",
      15_000,
      "running again",
    );
    expect(manager.status("canary").restarts).toBe(0);
  });

  it("carries events from an inline daemon to a worker and back", async () => {
    const seen: Array<{ from: string; pid: number }> = [];
    const inline = defineDaemon({
      name: "inline_greeter",
      emits: ["ISO_HELLO"],
      subscribes: ["ISO_HELLO"],
      setup(ctx) {
        ctx.events.subscribe("ISO_HELLO", (event) => {
          seen.push(event.payload);
        });
        ctx.events.publish("ISO_HELLO", { from: "inline", pid: process.pid });
      },
    });
    manager = createManager(defineConfig({ daemons: [greeter, inline], store: "memory:" }), {
      logger: false,
    });
    await manager.start();
    await waitFor(() => seen.some((e) => e.from === "worker"), 15_000, "the worker's answer");
    const where = manager.status("greeter").isolation;
    expect(where).toMatchObject({ kind: "worker", pid: process.pid });
    expect(where.threadId).toBeGreaterThan(0);
    expect(isolationTag(manager.status("greeter"))).toMatch(
      new RegExp(`^ \\[worker thread ${where.threadId}(, \\d+ MB heap)?(, \\d+% busy)?\\]$`),
    );
    expect(manager.status("inline_greeter").isolation).toEqual({ kind: "inline" });
  });

  it("terminates a worker whose stop outlasts stopTimeout", async () => {
    manager = createManager(defineConfig({ daemons: [stuckWorker], store: "memory:" }), {
      logger: false,
    });
    await manager.start();
    const started = Date.now();
    await manager.stopDaemon("stuck_worker");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(manager.status("stuck_worker").state).toBe("stopped");
  });

  it('runs an isolation: "process" job to completion in a child process', async () => {
    manager = createManager(
      defineConfig({ daemons: [jobLauncher], jobs: [processJob], store: "memory:" }),
      { logger: false },
    );
    await manager.start();
    await waitFor(() => manager!.status("job_launcher").heartbeat !== null, 15_000, "the job");
    const beat = manager.status("job_launcher").heartbeat as {
      status: string;
      result: { doubled: number; pid: number };
    };
    expect(beat.status).toBe("completed");
    expect(beat.result.doubled).toBe(42);
    expect(beat.result.pid).not.toBe(process.pid);
  });
});
