import { afterEach, describe, expect, it } from "vitest";
import { isolationTag } from "../../src/cli/lines.js";
import {
  createManager,
  type DaemonStatus,
  defineConfig,
  defineDaemon,
  type Manager,
} from "../../src/index.js";
import { idleProcess, idleWorker } from "./fixtures/fleet.js";
import { alive, waitFor } from "./helpers.js";

let manager: Manager | undefined;
afterEach(async () => {
  await manager?.shutdown({ timeout: 5000 });
  manager = undefined;
});

/** A program with a child of its own: its group has two processes. */
const program = defineDaemon({
  name: "program",
  command: ["sh", "-c", "sleep 1000 & wait"],
  killTimeout: 300,
});
const inline = defineDaemon({ name: "inline", interval: 50, cycle() {} });

/** Whether every figure of a sampled guest or program is in its status yet. */
const sampled = (s: DaemonStatus) =>
  s.isolation.cpuPercent !== undefined &&
  (s.isolation.kind === "worker" || s.isolation.rssBytes !== undefined);

describe("where isolated daemons run, as status shows it", () => {
  it("gives each worker, process and command daemon its kind, pid or thread, memory and CPU", async () => {
    manager = createManager(
      defineConfig({
        daemons: [idleProcess, idleWorker, program, inline],
        store: "memory:",
        http: { host: "127.0.0.1", port: 0 },
      }),
      { logger: false },
    );
    await manager.start();
    const m = manager;
    await waitFor(
      () => ["idle_process", "idle_worker", "program"].every((name) => sampled(m.status(name))),
      10_000,
      "the first resource samples",
    );

    const proc = m.status("idle_process").isolation;
    expect(proc).toMatchObject({ kind: "process" });
    expect(proc.pid).not.toBe(process.pid);
    expect(alive(proc.pid as number)).toBe(true);
    expect(proc.rssBytes).toBeGreaterThan(10 * 2 ** 20); // a Node process
    expect(proc.heapBytes).toBeGreaterThan(0);
    expect(proc.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(isolationTag(m.status("idle_process"))).toMatch(
      new RegExp(`^ \\[process pid ${proc.pid}, \\d+ MB, \\d+% CPU\\]$`),
    );

    const thread = m.status("idle_worker").isolation;
    expect(thread).toMatchObject({ kind: "worker", pid: process.pid });
    expect(thread.threadId).toBeGreaterThan(0);
    expect(thread.rssBytes).toBeUndefined(); // a thread has no memory of its own
    expect(thread.heapBytes).toBeGreaterThan(0);
    expect(thread.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(isolationTag(m.status("idle_worker"))).toMatch(
      new RegExp(`^ \\[worker thread ${thread.threadId}, \\d+ MB heap, \\d+% busy\\]$`),
    );

    const command = m.status("program").isolation;
    expect(command).toMatchObject({ kind: "command", processes: 2 });
    expect(alive(command.pid as number)).toBe(true);
    expect(command.rssBytes).toBeGreaterThan(0);
    expect(command.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(isolationTag(m.status("program"))).toMatch(
      new RegExp(`^ \\[command pid ${command.pid}, 2 processes, \\d+ MB, \\d+% CPU\\]$`),
    );

    expect(m.status("inline").isolation).toEqual({ kind: "inline" });
    expect(isolationTag(m.status("inline"))).toBe("");

    // /api/daemons carries the same figures.
    const listed = (await (await fetch(`${m.url}/api/daemons`)).json()) as DaemonStatus[];
    const byName = new Map(listed.map((s) => [s.name, s.isolation]));
    expect(byName.get("program")).toMatchObject({
      kind: "command",
      pid: command.pid,
      processes: 2,
    });
    expect(byName.get("idle_process")).toMatchObject({ kind: "process", pid: proc.pid });
    expect(byName.get("idle_worker")).toMatchObject({
      kind: "worker",
      threadId: thread.threadId,
    });
    expect(byName.get("idle_worker")?.heapBytes).toBeGreaterThan(0);
    expect(byName.get("inline")).toEqual({ kind: "inline" });
    const detail = (await (await fetch(`${m.url}/api/daemons/program`)).json()) as {
      isolation: DaemonStatus["isolation"];
      options: { kind: string };
    };
    expect(detail.isolation).toMatchObject({ kind: "command", pid: command.pid });
    expect(detail.options.kind).toBe("command"); // not "subscriber": its program is its run

    // Stopped, a daemon shows only its kind.
    await m.stopDaemon("program");
    await m.stopDaemon("idle_process");
    expect(m.status("program").isolation).toEqual({ kind: "command" });
    expect(m.status("idle_process").isolation).toEqual({ kind: "process" });
    expect(alive(command.pid as number)).toBe(false);
  }, 30_000);
});
