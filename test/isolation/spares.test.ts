import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { createManager, defineConfig, type Manager } from "../../src/index.js";
import { processSpares } from "../../src/isolation/process-host.js";
import { workerSpares } from "../../src/isolation/worker-host.js";
import { idleProcess, idleWorker } from "./fixtures/fleet.js";
import { alive, waitFor } from "./helpers.js";

const managers: Manager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 5000 })));
});

function manager(): Manager {
  const m = createManager(
    defineConfig({ daemons: [idleProcess, idleWorker], store: "memory:", http: false }),
    { logger: false },
  );
  managers.push(m);
  return m;
}

const parked = () => ({
  pids: processSpares().map((child) => child.pid as number),
  threads: [...workerSpares()],
});
/** A thread that has stopped reports thread id -1. */
const running = (threads: Worker[]) => threads.filter((worker) => worker.threadId !== -1);

describe("the warm spares of isolated daemons", () => {
  it("are all gone once the manager that used them has shut down", async () => {
    const m = manager();
    await m.start();
    await waitFor(
      () => processSpares().length > 0 && workerSpares().length > 0,
      10_000,
      "a parked spare process and thread",
    );
    const { pids, threads } = parked();
    expect(pids.every(alive)).toBe(true);
    expect(running(threads)).toHaveLength(threads.length);
    const guest = m.status("idle_process").isolation.pid as number;

    await m.shutdown({ timeout: 5000 });

    expect(pids.filter(alive)).toEqual([]);
    expect(alive(guest)).toBe(false);
    expect(running(threads)).toEqual([]);
    expect(parked()).toEqual({ pids: [], threads: [] });
  });

  it("stay while another manager in the process still runs, and go with the last one", async () => {
    const first = manager();
    const second = manager();
    await first.start();
    await second.start();
    await waitFor(
      () => processSpares().length > 0 && workerSpares().length > 0,
      10_000,
      "a parked spare process and thread",
    );
    const { pids, threads } = parked();

    await first.shutdown({ timeout: 5000 });
    expect(pids.every(alive)).toBe(true);
    expect(running(threads)).toHaveLength(threads.length);

    await second.shutdown({ timeout: 5000 });
    expect(pids.filter(alive)).toEqual([]);
    expect(running(threads)).toEqual([]);
  });
});
