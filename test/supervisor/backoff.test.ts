import { defineDaemon, RESTART_DEFAULTS, restartDelay, SECOND } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

describe("restart backoff", () => {
  it("computes 1, 2, 4, 8, 16 s with the defaults, capped at maxDelay", () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => restartDelay(RESTART_DEFAULTS, n));
    expect(delays).toEqual([1, 2, 4, 8, 16, 16].map((s) => s * SECOND));
  });

  it("keeps jittered delays inside maxDelay", () => {
    const policy = { ...RESTART_DEFAULTS, jitter: 0.5 };
    for (const r of [0, 0.5, 0.999]) {
      expect(restartDelay(policy, 5, () => r)).toBeLessThanOrEqual(policy.maxDelay);
    }
    expect(restartDelay(policy, 1, () => 0)).toBe(500);
  });

  it("keeps a zero initialDelay at zero however many restarts came before", () => {
    // factor^n overflows to Infinity past ~1,024 attempts; the delay must stay 0, not NaN.
    const policy = { ...RESTART_DEFAULTS, initialDelay: 0, maxRestarts: 1e9 };
    for (const n of [1, 1_024, 1_025, 5_000]) expect(restartDelay(policy, n)).toBe(0);
    expect(restartDelay({ ...policy, jitter: 0.5 }, 5_000, () => 0.9)).toBe(0);
    expect(restartDelay({ ...RESTART_DEFAULTS, maxRestarts: 1e9 }, 5_000)).toBe(
      RESTART_DEFAULTS.maxDelay,
    );
  });

  it("restarts a failing daemon after 1, 2, 4, 8, 16 s and marks it failed after six attempts", async () => {
    const attempts: number[] = [];
    const flaky = defineDaemon({
      name: "flaky",
      setup(ctx) {
        attempts.push(ctx.clock.now());
        throw new Error("cannot connect");
      },
    });
    const { clock, manager, statesOf } = setup([flaky]);
    const restarts: Array<{ attempt: number; delayMs: number }> = [];
    manager.on("daemon:restart", (r) => {
      restarts.push({ attempt: r.attempt, delayMs: r.delayMs });
    });
    const t0 = clock.now();
    // start() does not wait for the retries: it answers once the first start failed.
    const report = await drive(clock, manager.start(), 100);
    expect(report).toMatchObject({ running: [], failed: [], retrying: ["flaky"] });
    expect(report.durationMs).toBeLessThan(SECOND);
    await drive(
      clock,
      new Promise<void>((resolve) =>
        manager.on("daemon:state", (e) => e.to === "failed" && resolve()),
      ),
      100,
    );
    expect(clock.now() - t0).toBeGreaterThanOrEqual(31 * SECOND);
    expect(attempts).toHaveLength(6);
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    expect(gaps).toEqual([1, 2, 4, 8, 16].map((s) => s * SECOND));
    expect(restarts).toEqual(
      [1, 2, 3, 4, 5].map((attempt, i) => ({ attempt, delayMs: 2 ** i * SECOND })),
    );
    const status = manager.status("flaky");
    expect(status.state).toBe("failed");
    expect(status.lastError).toBe("cannot connect");
    expect(status.restarts).toBe(5);
    expect(statesOf("flaky").filter((s) => s === "backoff")).toHaveLength(5);
    expect(statesOf("flaky").at(-1)).toBe("failed");
  });

  it("shows the next restart time during backoff", async () => {
    const d = defineDaemon({ name: "d", setup: () => Promise.reject(new Error("boom")) });
    const { clock, manager } = setup([d]);
    void manager.start();
    await clock.settle();
    const s = manager.status("d");
    expect(s.state).toBe("backoff");
    expect(s.restartAttempt).toBe(1);
    expect(s.nextRestartAt).toBe(clock.now() + 1000);
    expect(manager.readiness().reasons).toContain("d: backoff (restart 1/5 in 1s)");
  });

  it("resets the restart budget after resetAfter of good running", async () => {
    let runs = 0;
    const d = defineDaemon({
      name: "d",
      restart: { resetAfter: "10s" },
      async run(ctx) {
        runs++;
        if (runs <= 2) throw new Error(`crash ${runs}`);
        await ctx.sleep(60_000);
        throw new Error("late crash");
      },
    });
    const { clock, manager } = setup([d]);
    const restarts: Array<{ attempt: number; delayMs: number }> = [];
    manager.on("daemon:restart", (r) => {
      restarts.push({ attempt: r.attempt, delayMs: r.delayMs });
    });
    await drive(clock, manager.start(), 100);
    await clock.advance(4_000);
    expect(manager.status("d").state).toBe("running");
    expect(manager.status("d").restartAttempt).toBe(2);
    await clock.advance(10_000);
    expect(manager.status("d").restartAttempt).toBe(0);
    await clock.advance(60_000);
    // the late crash counts as the first restart again: 1 s delay, not 4 s
    expect(restarts).toEqual([
      { attempt: 1, delayMs: 1000 },
      { attempt: 2, delayMs: 2000 },
      { attempt: 1, delayMs: 1000 },
    ]);
  });
});
