import { DoNotRestart, defineDaemon, StateConflictError } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

describe("cycles", () => {
  it("runs cycle() on a fixed delay after the previous cycle ends", async () => {
    const starts: number[] = [];
    const d = defineDaemon({
      name: "ticker",
      interval: "10s",
      async cycle(ctx) {
        starts.push(ctx.clock.now());
        await ctx.sleep(2_000);
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(30_000);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(gaps.slice(0, 2)).toEqual([12_000, 12_000]);
    expect(manager.status("ticker").cycles).toBe(starts.length); // the last one finished at +26 s
  });

  it("runs cycle() on a cron schedule", async () => {
    const times: number[] = [];
    const d = defineDaemon({
      name: "cronned",
      cron: "*/5 * * * *",
      cycle: (ctx) => void times.push(ctx.clock.now()),
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(16 * 60_000);
    expect(times).toHaveLength(3);
    for (const t of times) expect(new Date(t).getUTCMinutes() % 5).toBe(0);
  });

  it("aborts a cycle that overruns cycleTimeout and counts it as an error", async () => {
    let aborted = 0;
    const d = defineDaemon({
      name: "hangs",
      interval: "1s",
      cycleTimeout: "5s",
      cycle: (ctx) =>
        new Promise<void>(() => {
          ctx.signal.addEventListener("abort", () => aborted++);
        }),
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(5_000);
    const s = manager.status("hangs");
    expect(aborted).toBe(1);
    expect(s.cycleErrors).toBe(1);
    expect(s.lastError).toBe("cycle timed out after 5s (cycleTimeout)");
    expect(s.health.status).toBe("degraded");
  });

  it("fails after more than maxConsecutiveErrors consecutive cycle errors, and a success resets the count", async () => {
    const outcomes = [false, false, true, false, false, false, false];
    const d = defineDaemon({
      name: "d",
      interval: "1s",
      cycleErrorBackoff: false, // counted at the plain interval; the backoff has its own test
      restart: { policy: "never" },
      cycle() {
        if (outcomes.shift() === false) throw new Error("transient");
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(2_500);
    expect(manager.status("d").state).toBe("running");
    expect(manager.status("d").cycleErrors).toBe(2);
    expect(manager.status("d").consecutiveErrors).toBe(0);
    await clock.advance(4_000);
    expect(manager.status("d").state).toBe("failed");
    expect(manager.status("d").lastError).toBe(
      "4 consecutive cycle errors (maxConsecutiveErrors 3); last: transient",
    );
  });
});

describe("run(ctx) daemons and restart policies", () => {
  it("goes straight to failed on DoNotRestart", async () => {
    const d = defineDaemon({
      name: "d",
      run() {
        throw new DoNotRestart("bad credentials");
      },
    });
    const { clock, manager, statesOf } = setup([d]);
    await drive(clock, manager.start());
    expect(statesOf("d")).toEqual(["starting", "running", "failed"]);
    expect(manager.status("d").restarts).toBe(0);
  });

  it("restarts after a normal return with policy always (spending no budget), and stops with on-failure", async () => {
    let runs = 0;
    const always = defineDaemon({
      name: "always",
      restart: { policy: "always" },
      run: () => void runs++,
    });
    const once = defineDaemon({ name: "once", run() {} });
    const { clock, manager } = setup([always, once]);
    await drive(clock, manager.start());
    await clock.advance(10_500);
    // a normal return is not a failure: every second, forever, without spending the budget
    expect(runs).toBeGreaterThanOrEqual(10);
    expect(manager.status("always")).toMatchObject({ restartAttempt: 0, lastError: null });
    expect(manager.status("always").state).not.toBe("failed");
    expect(manager.status("once").state).toBe("stopped");
  });

  it("lives through subscriptions with neither cycle nor run", async () => {
    const d = defineDaemon({ name: "idle" });
    const { clock, manager } = setup([d]);
    const report = await drive(clock, manager.start());
    expect(report.running).toEqual(["idle"]);
    expect(manager.status("idle").health.status).toBe("healthy");
  });
});

describe("health", () => {
  it("normalizes both hook result shapes", async () => {
    const a = defineDaemon({
      name: "a",
      health: () => ({ status: "degraded", message: "2 sync errors" }),
    });
    const b = defineDaemon({
      name: "b",
      health: () => ({ healthy: false, message: "disk full", details: { free: 0 } }),
    });
    const { clock, manager } = setup([a, b]);
    await drive(clock, manager.start());
    expect(await manager.checkHealth("a")).toMatchObject({
      status: "degraded",
      message: "2 sync errors",
      source: "hook",
    });
    expect(await manager.checkHealth("b")).toMatchObject({
      status: "unhealthy",
      message: "disk full",
      details: { free: 0 },
    });
  });

  it("derives stale health for a periodic daemon whose cycle hangs", async () => {
    const d = defineDaemon({
      name: "stuck",
      interval: "10s",
      healthInterval: "1h",
      cycle: () => new Promise(() => {}),
    });
    const { clock, manager, firstTime } = setup([d]);
    await drive(clock, manager.start());
    const runningAt = firstTime("stuck", "running") as number;
    await clock.advance(runningAt + 29_000 - clock.now());
    expect(manager.status("stuck").health.status).toBe("healthy");
    await clock.advance(2_000);
    expect(manager.status("stuck").health).toMatchObject({
      status: "unhealthy",
      message: "stale: no cycle completed in 31s (expected every 10s)",
    });
    // Issue 11: liveness agrees with the restart decision; a hung daemon is the manager's to fix
    // (its health checks fail it, then it restarts), so it does not fail the process's probe.
    expect(manager.liveness().ok).toBe(true);
  });

  it("restarts a daemon after unhealthyThreshold unhealthy checks every healthInterval", async () => {
    const d = defineDaemon({
      name: "sick",
      healthInterval: "10s",
      unhealthyThreshold: 3,
      health: () => ({ healthy: false, message: "sick" }),
    });
    const { clock, manager, firstTime } = setup([d]);
    await drive(clock, manager.start());
    const runningAt = firstTime("sick", "running") as number;
    // checks at once on running, then every 10 s: the third unhealthy one is at +20 s
    await clock.advance(runningAt + 19_999 - clock.now());
    expect(manager.status("sick").state).toBe("running");
    await clock.advance(1);
    expect(manager.status("sick").state).toBe("backoff");
    expect(manager.status("sick").lastError).toBe(
      "unhealthy 3 checks in a row (unhealthyThreshold 3): sick",
    );
  });

  it("counts a health hook that overruns healthTimeout as unhealthy", async () => {
    const d = defineDaemon({
      name: "slow",
      healthTimeout: "1s",
      health: () => new Promise(() => {}),
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    const report = await drive(clock, manager.checkHealth("slow"), 100);
    expect(report).toMatchObject({
      status: "unhealthy",
      message: "health check timed out after 1s (healthTimeout)",
    });
  });
});

describe("operator actions", () => {
  it("pauses and resumes, refusing the wrong state with a conflict", async () => {
    let cycles = 0;
    const d = defineDaemon({ name: "d", interval: "1s", cycle: () => void cycles++ });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await manager.pauseDaemon("d");
    const before = cycles;
    await clock.advance(10_000);
    expect(cycles).toBe(before); // the wait already under way ends at the pause gate
    expect(manager.status("d").state).toBe("paused");
    await expect(manager.pauseDaemon("d")).rejects.toThrow(StateConflictError);
    await manager.resumeDaemon("d");
    await clock.advance(3_000);
    expect(cycles).toBeGreaterThan(before + 2);
    await manager.stopDaemon("d");
    await expect(manager.resumeDaemon("d")).rejects.toThrow("cannot resume d: it is stopped");
  });

  it("restarts on request, counting the restart", async () => {
    let setups = 0;
    const d = defineDaemon({ name: "d", setup: () => void setups++ });
    const { clock, manager, statesOf } = setup([d]);
    await drive(clock, manager.start());
    const status = await drive(clock, manager.restartDaemon("d"));
    expect(status.state).toBe("running");
    expect(status.restarts).toBe(1);
    expect(setups).toBe(2);
    expect(statesOf("d")).toEqual([
      "starting",
      "running",
      "stopping",
      "waiting",
      "starting",
      "running",
    ]);
  });

  it("starting a failed daemon resets its budget", async () => {
    let ok = false;
    const d = defineDaemon({
      name: "d",
      restart: { maxRestarts: 1, initialDelay: 10 },
      setup() {
        if (!ok) throw new Error("no");
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    expect(manager.status("d").state).toBe("failed");
    ok = true;
    const s = await drive(clock, manager.startDaemon("d"));
    expect(s.state).toBe("running");
    expect(s.restartAttempt).toBe(0);
  });
});

describe("shutdown", () => {
  it("stops in the reverse of start order, dependents first", async () => {
    const order: string[] = [];
    const mk = (name: string, dependsOn: string[] = []) =>
      defineDaemon({ name, dependsOn, cleanup: () => void order.push(name) });
    const { clock, manager, changes } = setup([
      mk("router"),
      mk("pipeline", ["router"]),
      mk("sync", ["pipeline"]),
      mk("monitor", ["router"]),
    ]);
    await drive(clock, manager.start());
    const startOrder = changes.filter((c) => c.to === "running").map((c) => c.name);
    const report = await drive(clock, manager.shutdown());
    expect(order.indexOf("sync")).toBeLessThan(order.indexOf("pipeline"));
    expect(order.indexOf("pipeline")).toBeLessThan(order.indexOf("router"));
    expect(order.indexOf("monitor")).toBeLessThan(order.indexOf("router"));
    expect(order.at(-1)).toBe(startOrder[0]);
    expect(report.unstopped).toEqual([]);
    expect(report.stopped.map((s) => s.name).sort()).toEqual([
      "monitor",
      "pipeline",
      "router",
      "sync",
    ]);
  });

  it("reports a stuck cleanup and does not wait on it forever", async () => {
    const stuck = defineDaemon({
      name: "stuck",
      stopTimeout: "5s",
      cleanup: () => new Promise(() => {}),
    });
    const fine = defineDaemon({ name: "fine" });
    const { clock, manager } = setup([stuck, fine]);
    await drive(clock, manager.start());
    const t0 = clock.now();
    const report = await drive(clock, manager.shutdown(), 100);
    expect(report.unstopped).toEqual([
      { name: "stuck", reason: "cleanup did not finish within 5s (stopTimeout)" },
    ]);
    expect(report.stopped.map((s) => s.name)).toEqual(["fine"]);
    expect(clock.now() - t0).toBeLessThanOrEqual(5_100);
  });

  it("turns readiness false at once, before any daemon stops", async () => {
    const seen: boolean[] = [];
    const d = defineDaemon({ name: "d", cleanup: () => void seen.push(manager.readiness().ok) });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    expect(manager.readiness()).toEqual({ ok: true, reasons: [] });
    const pending = manager.shutdown();
    expect(manager.readiness().reasons).toContain("shutting down");
    await drive(clock, pending);
    expect(seen).toEqual([false]);
  });

  it("runs cleanup after a setup that failed half way", async () => {
    const released: string[] = [];
    const d = defineDaemon({
      name: "half",
      restart: { policy: "never" },
      async setup() {
        throw new Error("second resource failed");
      },
      cleanup: () => void released.push("first resource"),
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    expect(released).toEqual(["first resource"]);
  });
});
