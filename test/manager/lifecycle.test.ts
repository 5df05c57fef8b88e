import { createManualClock } from "ringmaster";
import { describe, expect, it } from "vitest";
import { createLifecycle, type Part } from "../../src/manager/lifecycle.js";

/** A part that records its start and stop in `log`; `hang` never settles that phase. */
function part(
  log: string[],
  name: string,
  behaviour: { failStart?: boolean; hangStart?: boolean; hangStop?: boolean } = {},
): Part {
  return {
    name,
    start() {
      log.push(`start ${name}`);
      if (behaviour.failStart) throw new Error(`${name} broke`);
      if (behaviour.hangStart) return new Promise(() => {});
    },
    stop() {
      log.push(`stop ${name}`);
      if (behaviour.hangStop) return new Promise(() => {});
    },
  };
}

const none = { start: {}, stop: {} };
const forever = () => Number.POSITIVE_INFINITY;

describe("createLifecycle", () => {
  it("starts parts in order and stops them in reverse", async () => {
    const log: string[] = [];
    const clock = createManualClock();
    const names = ["store", "events", "jobs", "http"];
    const lifecycle = createLifecycle({
      clock,
      parts: names.map((n) => part(log, n)),
      timeouts: none,
    });
    await lifecycle.start(new AbortController().signal);
    expect(lifecycle.running).toEqual(names);
    const reports = await lifecycle.stop(forever);
    expect(log).toEqual([
      "start store",
      "start events",
      "start jobs",
      "start http",
      "stop http",
      "stop jobs",
      "stop events",
      "stop store",
    ]);
    expect(reports.map((r) => [r.name, r.ok])).toEqual([
      ["http", true],
      ["jobs", true],
      ["events", true],
      ["store", true],
    ]);
  });

  it("starts only once", async () => {
    const log: string[] = [];
    const lifecycle = createLifecycle({
      clock: createManualClock(),
      parts: [part(log, "store")],
      timeouts: none,
    });
    const signal = new AbortController().signal;
    await lifecycle.start(signal);
    await lifecycle.start(signal);
    expect(log).toEqual(["start store"]);
  });

  it("a part that fails to start stops the ones before it, and start rejects with its error", async () => {
    const log: string[] = [];
    const lifecycle = createLifecycle({
      clock: createManualClock(),
      parts: [part(log, "store"), part(log, "jobs"), part(log, "http", { failStart: true })],
      timeouts: none,
    });
    await expect(lifecycle.start(new AbortController().signal)).rejects.toThrow("http broke");
    expect(log).toEqual(["start store", "start jobs", "start http", "stop jobs", "stop store"]);
    expect(lifecycle.running).toEqual([]);
    expect(await lifecycle.stop(forever)).toEqual([]);
  });

  it("stops only the parts that started when shutdown aborts the start", async () => {
    const log: string[] = [];
    const abort = new AbortController();
    const store: Part = {
      name: "store",
      start() {
        log.push("start store");
        abort.abort();
      },
      stop() {
        log.push("stop store");
      },
    };
    const lifecycle = createLifecycle({
      clock: createManualClock(),
      parts: [store, part(log, "http")],
      timeouts: none,
    });
    await lifecycle.start(abort.signal);
    await lifecycle.stop(forever);
    expect(log).toEqual(["start store", "stop store"]);
  });

  it("names the start timeout a part missed", async () => {
    const log: string[] = [];
    const clock = createManualClock();
    const lifecycle = createLifecycle({
      clock,
      parts: [part(log, "store"), part(log, "http", { hangStart: true })],
      timeouts: { start: { http: 5_000 }, stop: {} },
    });
    const starting = lifecycle.start(new AbortController().signal).catch((e: Error) => e.message);
    await clock.advance(5_000);
    expect(await starting).toBe("http did not start within 5s (start timeout of http)");
    expect(log).toEqual(["start store", "start http", "stop store"]);
  });

  it("names the stop timeout a part missed, and goes on stopping the others", async () => {
    const log: string[] = [];
    const clock = createManualClock();
    const lifecycle = createLifecycle({
      clock,
      parts: [part(log, "store"), part(log, "jobs", { hangStop: true })],
      timeouts: { start: {}, stop: { jobs: 1_000 } },
    });
    await lifecycle.start(new AbortController().signal);
    const stopping = lifecycle.stop(() => 10_000);
    await clock.advance(1_000);
    const reports = await stopping;
    expect(reports).toEqual([
      {
        name: "jobs",
        ok: false,
        durationMs: 1_000,
        error: "jobs did not stop within 1s (its stop timeout)",
      },
      { name: "store", ok: true, durationMs: 0 },
    ]);
    expect(log).toEqual(["start store", "start jobs", "stop jobs", "stop store"]);
  });

  it("bounds a stop by what is left of the shutdown", async () => {
    const clock = createManualClock();
    const lifecycle = createLifecycle({
      clock,
      parts: [part([], "http", { hangStop: true })],
      timeouts: { start: {}, stop: { http: 60_000 } },
    });
    await lifecycle.start(new AbortController().signal);
    const stopping = lifecycle.stop(() => 2_000);
    await clock.advance(2_000);
    expect((await stopping)[0]?.error).toBe("http did not stop within 2s (the shutdown)");
  });
});
