import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/internal/clock.js";
import { createHeartbeatWrites } from "../../src/manager/heartbeat-writes.js";

function setUp() {
  const clock = createManualClock(0);
  const written: Array<{ name: string; at: number; writtenAt: number }> = [];
  const writes = createHeartbeatWrites({
    clock,
    interval: 5_000,
    write: (name, at) => written.push({ name, at, writtenAt: clock.now() }),
  });
  // Each daemon has its own write-through, kept by its caller (as the manager keeps it on the
  // daemon's supervisor): one per name here.
  const of = new Map<string, ReturnType<typeof writes.of>>();
  const beats = {
    beat(name: string, at: number, details: Record<string, unknown> | null) {
      let daemon = of.get(name);
      if (!daemon) {
        daemon = writes.of(name);
        of.set(name, daemon);
      }
      daemon.beat(at, details);
    },
    stop: () => writes.stop(),
  };
  return { clock, beats, written };
}

describe("heartbeat write-through", () => {
  it("writes a beat an interval after the last one at once, though the clock has moved on a little", async () => {
    const { clock, beats, written } = setUp();
    // The supervisor hands a cycle's beat on every 5 s by the cycle's end time; each arrives
    // here a little after it (3 ms, then 1 ms).
    await clock.advance(3);
    beats.beat("a", 0, null);
    await clock.advance(4_998);
    beats.beat("a", 5_000, null);
    expect(written).toEqual([
      { name: "a", at: 0, writtenAt: 3 },
      { name: "a", at: 5_000, writtenAt: 5_001 },
    ]);
  });

  it("coalesces beats within the interval into one write of the latest when it is up, then waits an interval again", async () => {
    const { clock, beats, written } = setUp();
    beats.beat("a", 0, null);
    await clock.advance(100);
    beats.beat("a", 100, null);
    await clock.advance(100);
    beats.beat("a", 200, { n: 2 });
    beats.beat("b", 200, null);
    await clock.advance(4_800);
    expect(written.map((w) => [w.name, w.at, w.writtenAt])).toEqual([
      ["a", 0, 0],
      ["b", 200, 200],
      ["a", 200, 5_000],
    ]);
    await clock.advance(100);
    beats.beat("a", 5_100, null);
    expect(written).toHaveLength(3);
    await clock.advance(4_900);
    expect(written.at(-1)).toEqual({ name: "a", at: 5_100, writtenAt: 10_000 });
  });

  it("writes nothing after stop", async () => {
    const { clock, beats, written } = setUp();
    beats.beat("a", 0, null);
    beats.beat("a", 10, null);
    beats.stop();
    await clock.advance(10_000);
    beats.beat("a", 10_000, null);
    expect(written.map((w) => w.at)).toEqual([0]);
  });
});
