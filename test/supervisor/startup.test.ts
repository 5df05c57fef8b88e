import { defineDaemon, IllegalTransitionError, TRANSITIONS } from "ringmaster";
import { describe, expect, it } from "vitest";
import { assertTransition } from "../../src/supervisor/state.js";
import { drive, setup } from "../helpers.js";

const slow = (name: string, ms: number, dependsOn: string[] = [], log?: string[]) =>
  defineDaemon({
    name,
    dependsOn,
    async setup(ctx) {
      log?.push(`${name}:setup`);
      await ctx.sleep(ms);
      log?.push(`${name}:ready`);
    },
  });

describe("start-up along the dependency graph", () => {
  it("starts a dependent the moment its slow dependency is ready", async () => {
    const { clock, manager, firstTime } = setup([
      slow("base", 5_000),
      slow("dependent", 0, ["base"]),
    ]);
    const t0 = clock.now();
    const pending = manager.start();
    await clock.advance(4_999);
    expect(manager.status("dependent").state).toBe("waiting");
    expect(manager.status("dependent").waitingOn).toEqual(["base"]);
    await clock.advance(1);
    const report = await pending;
    expect(report.running.sort()).toEqual(["base", "dependent"]);
    expect(firstTime("base", "running")).toBe(t0 + 5_000);
    expect(firstTime("dependent", "starting")).toBe(t0 + 5_000);
    expect(report.durationMs).toBe(5_000);
  });

  it("starts independent daemons together", async () => {
    const log: string[] = [];
    const { clock, manager } = setup([
      slow("a", 1_000, [], log),
      slow("b", 1_000, [], log),
      slow("c", 1_000, [], log),
    ]);
    const pending = manager.start();
    await clock.settle();
    expect(log).toEqual(["a:setup", "b:setup", "c:setup"]);
    await clock.advance(1_000);
    const report = await pending;
    expect(report.durationMs).toBe(1_000);
    expect(report.running).toHaveLength(3);
  });

  it("takes the critical path, not the sum, on a layered graph", async () => {
    const daemons = [
      slow("l0", 100),
      slow("l1a", 100, ["l0"]),
      slow("l1b", 100, ["l0"]),
      slow("l2", 100, ["l1a", "l1b"]),
      slow("side", 100),
    ];
    const { clock, manager } = setup(daemons);
    const report = await drive(clock, manager.start(), 10);
    expect(report.durationMs).toBe(300);
  });

  it("follows startupOrder one at a time with startup: sequential", async () => {
    const log: string[] = [];
    const daemons = [slow("a", 100, [], log), slow("b", 100, [], log), slow("c", 100, ["a"], log)];
    const { clock, manager } = setup(daemons, {
      startup: "sequential",
      startupOrder: ["b", "a", "c"],
    });
    const report = await drive(clock, manager.start(), 10);
    expect(log).toEqual(["b:setup", "b:ready", "a:setup", "a:ready", "c:setup", "c:ready"]);
    expect(report.durationMs).toBe(300);
  });

  it("starts a profile, and pulls in the dependencies of a list of names or a category, saying so", async () => {
    const daemons = [
      slow("router", 0),
      slow("pipeline", 0, ["router"]),
      defineDaemon({ name: "sync", category: "sync", dependsOn: ["pipeline"] }),
      slow("other", 0),
    ];
    const profiles = { coordinator: ["router", "pipeline", "sync"] };
    const { clock: c, manager: m } = setup(daemons, { profiles });
    const viaProfile = await drive(c, m.start({ profile: "coordinator" }));
    expect(viaProfile.running.sort()).toEqual(["pipeline", "router", "sync"]);
    expect(m.status("other").state).toBe("stopped");
    for (const options of [{ daemons: ["SYNC"] }, { categories: ["sync"] }]) {
      const { clock, manager } = setup(daemons);
      const report = await drive(clock, manager.start(options));
      expect(report.running.sort()).toEqual(["pipeline", "router", "sync"]);
      expect(report.pulledIn.sort()).toEqual(["pipeline", "router"]);
      expect(manager.status("router").pulledInBy).toEqual(["sync"]);
      expect(manager.status("other").state).toBe("stopped");
    }
  });

  it("rejects unknown names with a suggestion", async () => {
    const { manager } = setup([slow("auto_sync", 0)]);
    await expect(manager.start({ daemons: ["auto_snyc"] })).rejects.toThrow(
      'unknown daemon "auto_snyc" (did you mean "auto_sync"?)',
    );
    await expect(manager.start({ profile: "nope" })).rejects.toThrow(/unknown profile "nope"/);
    expect(() => manager.status("AUTO_SYNC")).not.toThrow();
    expect(manager.status("AUTO_SYNC").name).toBe("auto_sync");
  });

  it("never shows a daemon that missed readyTimeout as running", async () => {
    const d = defineDaemon({
      name: "manual",
      readiness: "manual",
      readyTimeout: "2s",
      restart: { policy: "never" },
      async setup() {},
    });
    const { clock, manager, statesOf } = setup([d]);
    const report = await drive(clock, manager.start(), 100);
    expect(report.failed).toEqual(["manual"]);
    expect(statesOf("manual")).toEqual(["starting", "failed"]);
    expect(manager.status("manual").lastError).toBe("not ready within 2s (readyTimeout)");
  });

  it("answers within the slowest readyTimeout although the hung daemon has retries left", async () => {
    const hung = defineDaemon({
      name: "hung",
      readyTimeout: "2s",
      async setup(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const { clock, manager, statesOf } = setup([
      hung,
      slow("after_hung", 0, ["hung"]),
      slow("quick", 500),
    ]);
    const report = await drive(clock, manager.start(), 100);
    expect(report.durationMs).toBeLessThanOrEqual(2_100);
    expect(report.running).toEqual(["quick"]);
    expect(report.retrying).toEqual(["hung"]);
    expect(report.waiting).toEqual(["after_hung"]);
    expect(report.failed).toEqual([]);
    expect(statesOf("hung")).toEqual(["starting", "backoff"]);
    expect(manager.status("hung").lastError).toBe("not ready within 2s (readyTimeout)");
  });

  it("becomes running when a manual-readiness daemon calls ctx.ready()", async () => {
    const d = defineDaemon({
      name: "listener",
      readiness: "manual",
      async run(ctx) {
        await ctx.sleep(500);
        ctx.ready();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    const { clock, manager, firstTime } = setup([d]);
    const t0 = clock.now();
    await drive(clock, manager.start());
    expect(firstTime("listener", "running")).toBe(t0 + 500);
  });

  it("leaves dependents waiting when a dependency fails, and starts them when it runs again", async () => {
    let healthy = false;
    const base = defineDaemon({
      name: "base",
      restart: { maxRestarts: 0 },
      setup() {
        if (!healthy) throw new Error("no database");
      },
    });
    const dependent = defineDaemon({ name: "dependent", dependsOn: [base] });
    const { clock, manager } = setup([base, dependent]);
    const report = await drive(clock, manager.start());
    expect(report.failed).toEqual(["base"]);
    expect(report.waiting).toEqual(["dependent"]);
    expect(manager.status("dependent").state).toBe("waiting");
    healthy = true;
    await drive(clock, manager.startDaemon("base"));
    await clock.settle();
    expect(manager.status("dependent").state).toBe("running");
  });

  it("stops the dependents of a daemon that fails for good, and they wait for it", async () => {
    let crash: (() => void) | undefined;
    const base = defineDaemon({
      name: "base",
      restart: { policy: "never" },
      run: (ctx) =>
        new Promise<void>((resolve, reject) => {
          crash = () => reject(new Error("crashed"));
          ctx.signal.addEventListener("abort", () => resolve());
        }),
    });
    const dependent = defineDaemon({
      name: "dependent",
      dependsOn: ["base"],
      interval: "1s",
      cycle() {},
    });
    const { clock, manager, statesOf } = setup([base, dependent]);
    await drive(clock, manager.start());
    expect(manager.status("dependent").state).toBe("running");
    crash?.();
    await clock.settle();
    expect(manager.status("base").state).toBe("failed");
    expect(statesOf("dependent").slice(-2)).toEqual(["stopping", "waiting"]);
    expect(manager.liveness().ok).toBe(false);
    expect(manager.liveness().reasons).toEqual(["base: failed (crashed)"]);
  });

  it("does not disturb dependents while a dependency is only restarting", async () => {
    let crashes = 0;
    const base = defineDaemon({
      name: "base",
      interval: "1s",
      maxConsecutiveErrors: 0,
      cycle() {
        if (crashes++ === 2) throw new Error("hiccup");
      },
    });
    const dependent = defineDaemon({
      name: "dependent",
      dependsOn: ["base"],
      interval: "1s",
      cycle() {},
    });
    const { clock, manager, statesOf } = setup([base, dependent]);
    await drive(clock, manager.start());
    await clock.advance(5_000);
    expect(statesOf("base")).toContain("backoff");
    expect(statesOf("dependent")).toEqual(["waiting", "starting", "running"]);
  });
});

describe("the state machine", () => {
  it("refuses illegal transitions with the current state named", () => {
    expect(() => assertTransition("x", "stopped", "running")).toThrow(IllegalTransitionError);
    expect(() => assertTransition("x", "stopped", "running")).toThrow(
      "daemon x: illegal transition stopped → running",
    );
    expect(TRANSITIONS.failed).toContain("starting");
    expect(TRANSITIONS.running).not.toContain("waiting");
  });
});
