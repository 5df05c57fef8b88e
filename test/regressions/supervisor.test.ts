import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { inspectManager } from "../../src/manager/internal-access.js";
import { drive, setup } from "../helpers.js";

const settle = async (clock: { settle(): Promise<void> }) => {
  for (let i = 0; i < 5; i++) await clock.settle();
};

describe("regressions: supervisor", () => {
  it("ctx.sleep in a cycle with cycleTimeout follows that cycle's signal, not the first cycle's", async () => {
    let n = 0;
    const errors: string[] = [];
    const d = defineDaemon({
      name: "sleeper",
      interval: "1s",
      cycleTimeout: "5s",
      restart: { policy: "never" },
      async cycle(ctx) {
        n++;
        try {
          // first cycle hangs past cycleTimeout; later cycles are short
          await ctx.sleep(n === 1 ? 60_000 : 100);
        } catch (e) {
          errors.push(`cycle ${n}: ${(e as Error).message}`);
          throw e;
        }
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(5_000); // cycle 1 times out (expected: 1 error)
    await clock.advance(3_000); // cycles 2.. should just sleep 100 ms and succeed
    const s = manager.status("sleeper");
    expect(errors.slice(0, 3)).toEqual(["cycle 1: aborted"]);
    expect(s.consecutiveErrors).toBe(0);
    expect(s.state).toBe("running");
  });

  it("stopping a cycleTimeout daemon aborts ctx.sleep in any cycle, so stop does not wait for stopTimeout", async () => {
    let n = 0;
    const d = defineDaemon({
      name: "sleeper",
      interval: "1s",
      cycleTimeout: "1h",
      stopTimeout: "30s",
      async cycle(ctx) {
        n++;
        await ctx.sleep(n === 1 ? 10 : 600_000);
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    await clock.advance(2_000); // cycle 2 is now sleeping 10 min
    expect(n).toBe(2);
    const report = await drive(clock, manager.shutdown(), 100);
    expect(report.unstopped).toEqual([]);
    expect(report.stopped[0]?.durationMs).toBeLessThan(1_000);
  });

  it("start() resolves when a dependency's run() returns while its dependent is starting", async () => {
    const a = defineDaemon({
      name: "a",
      async run() {
        /* finishes at once: "run() returned; the daemon has finished" */
      },
    });
    const b = defineDaemon({
      name: "b",
      dependsOn: ["a"],
      async setup(ctx) {
        await ctx.sleep(1_000);
      },
    });
    const { clock, manager } = setup([a, b]);
    const report = await drive(clock, manager.start(), 100, 120_000);
    expect(report.waiting).toContain("b");
  });

  it("a dependent still stopping when its dependency is restarted starts again once it has stopped", async () => {
    let failA = true;
    const a = defineDaemon({
      name: "a",
      interval: "1s",
      restart: { policy: "never" },
      cycle() {
        if (failA) throw new Error("boom");
      },
      maxConsecutiveErrors: 0,
    });
    const b = defineDaemon({
      name: "b",
      dependsOn: ["a"],
      async cleanup(ctx) {
        // slow cleanup (ctx.sleep would be aborted already)
        await new Promise<void>((r) => ctx.clock.setTimeout(r, 5_000));
      },
    });
    failA = false;
    const { clock, manager } = setup([a, b]);
    await drive(clock, manager.start());
    expect(manager.status("b").state).toBe("running");
    failA = true;
    await clock.advance(1_000); // a fails -> b stopping (5 s cleanup)
    expect(manager.status("a").state).toBe("failed");
    expect(manager.status("b").state).toBe("stopping");
    failA = false;
    await drive(clock, manager.startDaemon("a")); // operator starts a again at once
    expect(manager.status("a").state).toBe("running");
    await clock.advance(10_000);
    expect(manager.status("b").state).toBe("running"); // actual: waiting, forever
    expect(manager.readiness().ok).toBe(true);
  });

  it("stopDaemon racing restartDaemon leaves the daemon stopped (the last request wins)", async () => {
    const a = defineDaemon({
      name: "a",
      async cleanup(ctx) {
        await new Promise<void>((r) => ctx.clock.setTimeout(r, 1_000));
      },
    });
    const { clock, manager } = setup([a]);
    await drive(clock, manager.start());
    const restart = manager.restartDaemon("a");
    const stop = manager.stopDaemon("a");
    await drive(clock, Promise.all([restart, stop]));
    await clock.advance(1_000);
    expect(manager.status("a").state).toBe("stopped");
  });

  it("disabling a daemon (stored override) while it is in backoff stops it", async () => {
    const a = defineDaemon({
      name: "a",
      interval: "1s",
      maxConsecutiveErrors: 0,
      cycle() {
        throw new Error("boom");
      },
    });
    const { clock, manager } = setup([a]);
    void manager.start();
    await clock.advance(10);
    await settle(clock);
    expect(manager.status("a").state).toBe("backoff");
    await inspectManager(manager).setOverrides("a", { enabled: false });
    await clock.advance(60_000);
    const s = manager.status("a");
    expect(s.state).not.toBe("backoff");
  });
});
