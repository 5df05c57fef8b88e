// Periodic daemons whose cycles share a timer-wheel batch (issue 17): each cycle runs as its own
// run's owner (what the stall watch and containment blame), one daemon's throw fails that daemon
// only and the rest of the batch runs, and the interval is a delay after each cycle's end.
import { defineConfig, defineDaemon } from "ringmaster";
import { createManualClock, type ManualClock } from "ringmaster/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../../src/config/resolve.js";
import type { EventBus } from "../../src/events/types.js";
import type { DaemonJobs, DaemonLogger, NodeInfo } from "../../src/registry/types.js";
import { currentOwner } from "../../src/supervisor/async-context.js";
import { contain } from "../../src/supervisor/containment.js";
import { DaemonSupervisor, type SupervisorHost } from "../../src/supervisor/daemon.js";

const T0 = Date.UTC(2026, 0, 1);
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const quiet: DaemonLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
} as unknown as DaemonLogger;

/** Supervisors of `daemons` on `clock`, their host keeping nothing (`onHeartbeat` its one hook). */
function supervise(
  daemons: ReturnType<typeof defineDaemon>[],
  clock: ManualClock,
  onHeartbeat?: (d: DaemonSupervisor) => void,
  heartbeatWriteInterval?: number,
): DaemonSupervisor[] {
  const resolved = resolveConfig(defineConfig({ daemons }), { env: {} });
  const host: SupervisorHost = {
    clock,
    bus: {} as EventBus,
    node: { id: "n1" } as NodeInfo,
    jobsFor: () => ({}) as DaemonJobs,
    createLog: () => quiet,
    emit() {},
    listening: {},
    onState() {},
    onBackoffElapsed() {},
    ...(onHeartbeat ? { onHeartbeat } : {}),
    ...(heartbeatWriteInterval ? { heartbeatWriteInterval } : {}),
  };
  return daemons.map(
    (d) => new DaemonSupervisor(resolved.daemons.get(d.name)?.spec as never, {}, host),
  );
}

/** Supervisors for `names` (interval 100 ms) on a manual clock; `broken` is the host's hook. */
function fleet(names: string[], onHeartbeat: (d: DaemonSupervisor) => void) {
  const clock = createManualClock(T0);
  const seen: string[] = [];
  const daemons = names.map((name) =>
    defineDaemon({
      name,
      interval: "100ms",
      cycle(ctx) {
        seen.push(`${name}@${ctx.clock.now() - T0} as ${currentOwner()?.label ?? "no one"}`);
      },
    }),
  );
  const sups = supervise(daemons, clock, onHeartbeat);
  return { clock, seen, sups };
}

describe("cycles in one timer-wheel batch", () => {
  it("hands a cycle on as a heartbeat once per write interval, the first at a random point of the first", async () => {
    // The first hand-off is placed when the cycles start: half-way through the first interval.
    const random = vi.spyOn(Math, "random").mockReturnValue(0.5);
    try {
      const clock = createManualClock(T0);
      const handed: string[] = [];
      const daemons = ["a", "b"].map((name) =>
        defineDaemon({ name, interval: "100ms", cycle() {} }),
      );
      const sups = supervise(
        daemons,
        clock,
        (d) => handed.push(`${d.name}@${(d.lastHeartbeatAt ?? Number.NaN) - T0}`),
        1000,
      );
      for (const s of sups) s.launch();
      await clock.settle();
      await clock.advance(2600);
      // Cycles end every 100 ms; the first at or past 500 is handed on, then one per 1000 ms.
      expect(handed).toEqual(["a@500", "b@500", "a@1500", "b@1500", "a@2500", "b@2500"]);
      expect(sups.map((s) => s.stats.cycles)).toEqual([27, 27]);
      for (const s of sups) await s.stop("stopped");
    } finally {
      random.mockRestore();
    }
  });

  it("each cycle runs as its own daemon; a throw outside one daemon's cycle fails only that daemon", async () => {
    const escaped: string[] = [];
    stops.push(contain({ unowned: (error) => escaped.push(error.message) }));
    let beats = 0;
    const { clock, seen, sups } = fleet(["a", "b", "c"], (d) => {
      // The hand-off after b's second cycle breaks (a broken store write, say).
      if (d.name === "b" && ++beats === 2) throw new Error("record write broke");
    });
    for (const s of sups) s.launch();
    await clock.settle();
    expect(sups.map((s) => s.state)).toEqual(["running", "running", "running"]);
    // All three cycles ended at T0, so their next cycles share one clock timer.
    expect(clock.pending()).toBe(1 + sups.length); // the batch, and each daemon's health check
    await clock.advance(100);
    expect(seen).toEqual([
      "a@0 as a",
      "b@0 as b",
      "c@0 as c",
      "a@100 as a",
      "b@100 as b",
      "c@100 as c",
    ]);
    const [a, b, c] = sups as [DaemonSupervisor, DaemonSupervisor, DaemonSupervisor];
    expect(b.state).toBe("backoff");
    expect(b.lastError).toBe("uncaught: record write broke");
    expect([a.state, c.state]).toEqual(["running", "running"]);
    expect(escaped).toEqual([]);
    await clock.advance(100);
    expect(seen.slice(6)).toEqual(["a@200 as a", "c@200 as c"]);
    expect(a.stats.cycles).toBe(3);
    for (const s of sups) await s.stop("stopped");
    expect(clock.pending()).toBe(0);
  });

  it("what a cycle schedules carries its daemon, and after the batch no daemon is current", async () => {
    const clock = createManualClock(T0);
    const later: string[] = [];
    const daemons = ["a", "b"].map((name) =>
      defineDaemon({
        name,
        interval: "100ms",
        cycle() {
          // A promise continuation and a timer of the machine, both made inside the cycle.
          void Promise.resolve().then(() => later.push(`${name} then as ${currentOwner()?.label}`));
          setTimeout(() => later.push(`${name} timer as ${currentOwner()?.label}`), 0);
        },
      }),
    );
    const sups = supervise(daemons, clock);
    for (const s of sups) s.launch();
    await clock.settle();
    await new Promise((resolve) => setTimeout(resolve, 5)); // the first cycles' timers
    later.length = 0;
    // One batch fires both cycles; the test's own code then runs as no one.
    await clock.advance(100);
    expect(currentOwner()).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(later.sort()).toEqual(["a then as a", "a timer as a", "b then as b", "b timer as b"]);
    for (const s of sups) await s.stop("stopped");
  });

  it("calls the cycle hook on its daemon's spec, as a method, on the first cycle and on the wheel's", async () => {
    const clock = createManualClock(T0);
    const names: unknown[] = [];
    const daemon = defineDaemon({
      name: "self_aware",
      interval: "100ms",
      cycle(this: { name: string }) {
        names.push(this?.name);
      },
    });
    const [sup] = supervise([daemon], clock) as [DaemonSupervisor];
    sup.launch();
    await clock.settle();
    await clock.advance(200);
    expect(names).toEqual(["self_aware", "self_aware", "self_aware"]);
    await sup.stop("stopped");
  });

  it("waits the interval after each cycle's end, also when the cycles of one batch end apart", async () => {
    const clock = createManualClock(T0);
    const starts: Record<string, number[]> = { slow: [], fast: [] };
    const daemons = [
      defineDaemon({
        name: "slow",
        interval: "100ms",
        async cycle(ctx) {
          starts.slow?.push(ctx.clock.now() - T0);
          await ctx.sleep(30);
        },
      }),
      defineDaemon({
        name: "fast",
        interval: "100ms",
        cycle(ctx) {
          starts.fast?.push(ctx.clock.now() - T0);
        },
      }),
    ];
    const sups = supervise(daemons, clock);
    for (const s of sups) s.launch();
    await clock.advance(400);
    expect(starts.fast).toEqual([0, 100, 200, 300, 400]);
    expect(starts.slow).toEqual([0, 130, 260, 390]);
    for (const s of sups) await s.stop("stopped");
    expect(clock.pending()).toBe(0);
  });
});

// What a cycle counts lives in one object per daemon (cycle-state.ts): the counters and times
// seen through `ctx.stats` and the supervisor's status must read as the plain fields they were.
describe("a daemon's cycle counters and times", () => {
  it("ctx.stats is live, spreads and serializes to its five fields, and counts on across restarts", async () => {
    const clock = createManualClock(T0);
    let held: unknown;
    const seen: unknown[] = [];
    const daemon = defineDaemon({
      name: "counter",
      interval: "100ms",
      cycle(ctx) {
        held ??= ctx.stats;
        seen.push({ ...ctx.stats });
        if (ctx.stats.cycles === 1) throw new Error("second cycle fails");
      },
    });
    const [sup] = supervise([daemon], clock) as [DaemonSupervisor];
    sup.launch();
    await clock.settle();
    await clock.advance(200);
    expect(seen).toEqual([
      {
        cycles: 0,
        cycleErrors: 0,
        consecutiveErrors: 0,
        lastCycleAt: null,
        lastCycleDurationMs: null,
      },
      { cycles: 1, cycleErrors: 0, consecutiveErrors: 0, lastCycleAt: T0, lastCycleDurationMs: 0 },
      // The failed cycle's backoff is max(interval, 1 s): no third cycle yet.
    ]);
    // The object a cycle kept is the live one, and reads as plain fields.
    expect(held).toBe(sup.stats);
    expect(JSON.parse(JSON.stringify(held))).toEqual({
      cycles: 2,
      cycleErrors: 1,
      consecutiveErrors: 1,
      lastCycleAt: T0 + 100,
      lastCycleDurationMs: 0,
    });
    expect(Object.keys(held as object)).toEqual([
      "cycles",
      "cycleErrors",
      "consecutiveErrors",
      "lastCycleAt",
      "lastCycleDurationMs",
    ]);
    await sup.stop("stopped");
    sup.launch();
    await clock.settle();
    // A new run starts its error streak afresh; the counters go on.
    expect({ ...sup.stats }).toMatchObject({ cycles: 3, cycleErrors: 1, consecutiveErrors: 0 });
    await sup.stop("stopped");
    expect(clock.pending()).toBe(0);
  });

  it("the last heartbeat is the later of the last cycle's end and the last ctx.heartbeat", async () => {
    const clock = createManualClock(T0);
    let beatNext = false;
    const daemon = defineDaemon({
      name: "beater",
      interval: "100ms",
      cycle(ctx) {
        if (beatNext) {
          // A beat inside the cycle, which then ends: the end is the latest.
          ctx.heartbeat({ inside: true });
        }
      },
    });
    const [sup] = supervise([daemon], clock) as [DaemonSupervisor];
    expect(sup.lastHeartbeatAt).toBeNull();
    sup.launch();
    await clock.settle();
    expect(sup.lastHeartbeatAt).toBe(T0);
    await clock.advance(40);
    sup.beat({ between: true });
    expect(sup.lastHeartbeatAt).toBe(T0 + 40);
    expect(sup.heartbeat).toEqual({ between: true });
    await clock.advance(60);
    expect(sup.lastHeartbeatAt).toBe(T0 + 100);
    beatNext = true;
    await clock.advance(100);
    expect(sup.lastHeartbeatAt).toBe(T0 + 200);
    expect(sup.heartbeat).toEqual({ inside: true });
    await sup.stop("stopped");
  });

  it("a cycle due while paused runs on resume, then the interval goes on from its end", async () => {
    const clock = createManualClock(T0);
    const starts: number[] = [];
    const daemon = defineDaemon({
      name: "pausable",
      interval: "100ms",
      cycle(ctx) {
        starts.push(ctx.clock.now() - T0);
      },
    });
    const [sup] = supervise([daemon], clock) as [DaemonSupervisor];
    sup.launch();
    await clock.settle();
    sup.pause();
    await clock.advance(250);
    expect(starts).toEqual([0]);
    sup.resume();
    await clock.advance(100);
    expect(starts).toEqual([0, 250, 350]);
    // Paused and resumed before the next cycle is due: it runs when due, once.
    sup.pause();
    await clock.advance(50);
    sup.resume();
    await clock.advance(50);
    expect(starts).toEqual([0, 250, 350, 450]);
    await sup.stop("stopped");
    expect(clock.pending()).toBe(0);
  });
});
