import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { createManager, defineConfig, type Manager } from "../../src/index.js";
import { processSpares } from "../../src/isolation/process-host.js";
import { workerSpares } from "../../src/isolation/worker-host.js";
import { idleProcess, idleWorker } from "./fixtures/fleet.js";
import { waitFor } from "./helpers.js";

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

/** Whether `pid` exists at all, zombies included: only ESRCH says it does not. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
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
    expect(pids.every(exists)).toBe(true);
    expect(running(threads)).toHaveLength(threads.length);
    const guest = m.status("idle_process").isolation.pid as number;

    await m.shutdown({ timeout: 5000 });

    expect(pids.filter(exists)).toEqual([]);
    expect(exists(guest)).toBe(false);
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
    expect(pids.every(exists)).toBe(true);
    expect(running(threads)).toHaveLength(threads.length);

    await second.shutdown({ timeout: 5000 });
    expect(pids.filter(exists)).toEqual([]);
    expect(running(threads)).toEqual([]);
  });
});
