import { describe, expect, it } from "vitest";
import { createHistory, type HistoryReading, startHistorySampler } from "../../src/http/history.js";
import { createManualClock } from "../../src/internal/clock.js";

const T0 = Date.UTC(2026, 0, 1);

/** A reading at `seconds` after T0 of one daemon `a`, with the given totals. */
function reading(
  seconds: number,
  totals: Partial<{ cycles: number; errors: number; restarts: number; published: number }> = {},
  extra: Partial<HistoryReading> = {},
): HistoryReading {
  return {
    at: T0 + seconds * 1_000,
    daemons: [
      {
        name: "a",
        state: "running",
        cycles: totals.cycles ?? 0,
        cycleErrors: totals.errors ?? 0,
        restarts: totals.restarts ?? 0,
        lastCycleDurationMs: 12,
      },
    ],
    events: { published: totals.published ?? 0, delivered: 0 },
    deadLetters: 0,
    jobs: {},
    ...extra,
  };
}

describe("createHistory", () => {
  it("turns totals into per-interval figures: events/s, restarts, cycle errors", () => {
    const history = createHistory({ interval: 10_000 });
    history.record(reading(0, { published: 100, cycles: 1 }));
    history.record(reading(10, { published: 150, cycles: 3, errors: 1, restarts: 1 }));
    history.record(reading(20, { published: 150, cycles: 3, errors: 1, restarts: 3 }));
    const view = history.view();
    expect(view.t).toEqual([T0, T0 + 10_000, T0 + 20_000]);
    expect(view.fleet.eventsPerSec).toEqual([null, 5, 0]);
    expect(view.fleet.restarts).toEqual([null, 1, 2]);
    expect(view.daemons.a?.errors).toEqual([null, 1, 0]);
    // No cycle finished in the last interval: no duration to draw.
    expect(view.daemons.a?.cycleMs).toEqual([12, 12, null]);
  });

  it("keeps only the last span: memory is span / interval samples", () => {
    const history = createHistory({ interval: 10_000, span: 60_000 });
    for (let i = 0; i < 100; i++) history.record(reading(i * 10, { published: i }));
    const view = history.view();
    expect(view.t).toHaveLength(6);
    expect(view.t[0]).toBe(T0 + 940_000);
    expect(view.t[5]).toBe(T0 + 990_000);
    expect(view.fleet.eventsPerSec).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  });

  it("counts jobs reaching each status per second, a status first seen counting from zero", () => {
    const history = createHistory({ interval: 10_000 });
    history.record(reading(0, {}, { jobs: { succeeded: 4 } }));
    history.record(reading(10, {}, { jobs: { succeeded: 24, failed: 5 } }));
    expect(history.view().fleet.jobsPerSec).toEqual({ succeeded: [null, 2], failed: [null, 0.5] });
  });

  it("a state timeline: the state held when the span began, then each change as it happened", () => {
    const history = createHistory({ interval: 10_000, span: 30_000 });
    history.record(reading(0));
    history.recordState("a", "backoff", T0 + 3_000);
    history.recordState("a", "starting", T0 + 4_000);
    history.recordState("a", "running", T0 + 4_500);
    for (let i = 1; i <= 2; i++) history.record(reading(i * 10));
    expect(history.view().daemons.a?.states).toEqual([
      { at: T0, state: "running" },
      { at: T0 + 3_000, state: "backoff" },
      { at: T0 + 4_000, state: "starting" },
      { at: T0 + 4_500, state: "running" },
    ]);
    history.record(reading(30));
    // The span now begins at 10 s, after the backoff: only the state held then is left.
    expect(history.view().daemons.a?.states).toEqual([{ at: T0 + 10_000, state: "running" }]);
  });

  it("shows the daemons asked for; ignores a reading older than the last", () => {
    const history = createHistory();
    history.record(reading(10));
    history.record(reading(5));
    const view = history.view({ daemons: ["b"] });
    expect(view.t).toEqual([T0 + 10_000]);
    expect(view.daemons).toEqual({});
  });
});

describe("startHistorySampler", () => {
  it("samples at once and then every interval on the clock, until stopped", async () => {
    const clock = createManualClock(T0);
    const history = createHistory({ interval: 10_000 });
    let published = 0;
    const stop = startHistorySampler(
      history,
      () => {
        published += 30;
        return reading((clock.now() - T0) / 1_000, { published });
      },
      clock,
      10_000,
    );
    await clock.advance(30_000);
    expect(history.view().t).toEqual([T0, T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    expect(history.view().fleet.eventsPerSec.slice(1)).toEqual([3, 3, 3]);
    stop();
    await clock.advance(30_000);
    expect(history.view().t).toHaveLength(4);
    expect(clock.pending()).toBe(0);
  });
});

describe("GET /api/history", () => {
  it("serves the view over real HTTP, all daemons or those named", async () => {
    const { default: Fastify } = await import("fastify");
    const { registerHistoryRoutes } = await import("../../src/http/routes/history.js");
    const history = createHistory();
    history.record(reading(0));
    const app = Fastify();
    registerHistoryRoutes(app, history);
    const base = await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const all = await (await fetch(`${base}/api/history`)).json();
      expect(all).toMatchObject({ interval: 10_000, t: [T0], daemons: { a: { cycleMs: [12] } } });
      const none = (await (await fetch(`${base}/api/history?daemons=b,%20c`)).json()) as {
        daemons: unknown;
      };
      expect(none.daemons).toEqual({});
    } finally {
      await app.close();
    }
  });
});

describe("the manager's history", () => {
  it("is served by the manager's own server: a sample at once, and each state change as it happens", async () => {
    const { createManager, defineConfig, defineDaemon } = await import("../../src/index.js");
    const ticker = defineDaemon({ name: "ticker", interval: 50, cycle() {} });
    const manager = createManager(
      defineConfig({ daemons: [ticker], store: "memory:", http: { host: "127.0.0.1", port: 0 } }),
      { logger: false },
    );
    await manager.start();
    try {
      await manager.restartDaemon("ticker");
      const view = (await (await fetch(`${manager.url}/api/history`)).json()) as HistoryViewJson;
      expect(view.t.length).toBeGreaterThanOrEqual(1);
      expect(view.interval).toBe(10_000);
      const states = view.daemons.ticker?.states.map((s) => s.state) ?? [];
      // The server samples before the daemons start; then start, restart (stopping → …), running.
      expect(states[0]).toBe("stopped");
      expect(states.indexOf("running")).toBeLessThan(states.lastIndexOf("stopping"));
      expect(states[states.length - 1]).toBe("running");
    } finally {
      await manager.shutdown();
    }
  });
});

type HistoryViewJson = import("../../src/http/history.js").HistoryView;
