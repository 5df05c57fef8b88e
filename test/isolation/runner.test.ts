import { afterEach, describe, expect, it } from "vitest";
import { createEventBus } from "../../src/events/index.js";
import { systemClock } from "../../src/internal/clock.js";
import { createDaemonRunner } from "../../src/isolation/host-runner.js";
import type { DaemonRunner, RunnerExit } from "../../src/isolation/types.js";
import {
  blocker,
  broken,
  exiter,
  heapLeaker,
  leaker,
  ponger,
  stubborn,
  thrower,
  ticker,
} from "./fixtures/daemons.js";
import { alive, DAEMONS, hostContext, waitFor } from "./helpers.js";

const kinds = ["worker", "process"] as const;
const runners: DaemonRunner[] = [];
const bus = createEventBus({ clock: systemClock });

const fixtures = { blocker, broken, exiter, heapLeaker, leaker, ponger, stubborn, thrower, ticker };

function runner(kind: (typeof kinds)[number], spec: keyof typeof fixtures, extra = {}) {
  const r = createDaemonRunner(fixtures[spec] as never, { kind, module: DAEMONS, ...extra });
  runners.push(r);
  return r;
}

function exitOf(r: DaemonRunner): Promise<RunnerExit> {
  return new Promise((resolve) => r.onExit(resolve));
}

/** Starts the runner and runs cycles back to back until its guest ends. */
async function cycleUntilExit(r: DaemonRunner, name: string): Promise<RunnerExit> {
  const ended = exitOf(r);
  const host = hostContext(bus, name);
  await r.start(host.ctx);
  const cycling = (async () => {
    for (;;) await r.cycle(host.ctx);
  })().catch(() => {});
  const exit = await ended;
  await cycling;
  return exit;
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(0)));
});

describe.each(kinds)("a %s daemon", (kind) => {
  it("runs setup, cycles and health with the host's config, logs and events", async () => {
    const host = hostContext(bus, "ticker", { config: { batch: 7 } });
    const ticks: number[] = [];
    const off = bus.subscribe("ISO_TICK", (event) => {
      ticks.push(event.payload.n);
    });
    const r = runner(kind, "ticker");
    await r.start(host.ctx);
    expect(host.logs).toContainEqual({
      level: "info",
      message: "setup",
      fields: { config: { batch: 7 } },
    });
    const guestPid = (host.heartbeats[0] as { pid: number } | undefined)?.pid;
    if (kind === "process") expect(guestPid).not.toBe(process.pid);
    else expect(guestPid).toBe(process.pid);
    host.stats.cycles = 4;
    await r.cycle(host.ctx);
    await waitFor(() => ticks.length === 1, 5000, "the tick");
    expect(ticks).toEqual([4]);
    const health = await r.health();
    expect(health).toMatchObject({ status: "healthy", details: { config: { batch: 7 } } });
    host.controller.abort();
    await r.cleanup();
    expect(host.logs.at(-1)?.message).toBe("cleanup");
    const stop = await r.stop(2000);
    expect(stop).toMatchObject({ graceful: true, forced: null });
    off();
  });

  it("fails only itself when it calls process.exit(1), with reason exit code 1", async () => {
    const host = hostContext(bus, "exiter");
    const r = runner(kind, "exiter");
    const ended = exitOf(r);
    await r.start(host.ctx);
    const running = r.run();
    const exit = await ended;
    expect(exit).toMatchObject({ reason: "exit code 1", expected: false, code: 1 });
    await expect(running).rejects.toMatchObject({ name: "GuestExitError", message: "exit code 1" });
  });

  it("reports an uncaught error from a stray timer as uncaught", async () => {
    const r = runner(kind, "thrower");
    const ended = exitOf(r);
    await r.start(hostContext(bus, "thrower").ctx);
    void r.run().catch(() => {});
    expect((await ended).reason).toBe("uncaught: TypeError: stray timer failed");
  });

  it("rejects start with setup's error, name and message kept", async () => {
    const r = runner(kind, "broken");
    await expect(r.start(hostContext(bus, "broken").ctx)).rejects.toMatchObject({
      name: "RangeError",
      message: "bad setup",
    });
  });

  it("delivers events both ways through the bridge", async () => {
    const host = hostContext(bus, "ponger");
    bus.declare("ponger", ["ISO_PING"]);
    bus.setOpen("ponger", true);
    const pongs: Array<{ n: number; pid: number }> = [];
    const off = bus.subscribe("ISO_PONG", (event) => {
      pongs.push(event.payload);
    });
    // Published before the daemon exists: the mailbox keeps it.
    bus.publish("ISO_PING", { n: 1 });
    const r = runner(kind, "ponger");
    await r.start(host.ctx);
    bus.publish("ISO_PING", { n: 2 });
    await waitFor(() => pongs.length === 2, 5000, "two pongs");
    expect(pongs.map((p) => p.n)).toEqual([1, 2]);
    off();
  });

  it("is ended by force when it does not leave within the grace period", async () => {
    const r = runner(kind, "blocker", { killTimeout: 200 });
    await r.start(hostContext(bus, "blocker").ctx);
    void r.run().catch(() => {});
    const pid = r.stats().pid!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stop = await r.stop(200);
    expect(stop.graceful).toBe(false);
    expect(stop.forced).toBe(kind === "worker" ? "terminate" : "SIGTERM");
    if (kind === "process") expect(alive(pid)).toBe(false);
  });
});

describe("a process daemon", () => {
  it("that ignores SIGTERM is killed with SIGKILL after killTimeout, its pid gone", async () => {
    const r = runner("process", "stubborn", { killTimeout: 300 });
    await r.start(hostContext(bus, "stubborn").ctx);
    void r.run().catch(() => {});
    const pid = r.stats().pid!;
    expect(alive(pid)).toBe(true);
    const stop = await r.stop(0);
    expect(stop.forced).toBe("SIGKILL");
    expect(stop.durationMs).toBeGreaterThanOrEqual(290);
    expect(alive(pid)).toBe(false);
  });

  it("above maxMemory is ended with reason memory limit", async () => {
    const r = runner("process", "leaker", { maxMemory: 150 * 1024 * 1024, sampleInterval: 100 });
    const exit = await cycleUntilExit(r, "leaker");
    expect(exit).toMatchObject({ reason: "memory limit", expected: false });
  });
});

describe("a worker daemon", () => {
  it("above maxMemory runs out of its resourceLimits with reason memory limit", async () => {
    const r = runner("worker", "heapLeaker", { maxMemory: 32 * 1024 * 1024 });
    const exit = await cycleUntilExit(r, "heap_leaker");
    expect(exit).toMatchObject({ reason: "memory limit", expected: false });
  });
});
