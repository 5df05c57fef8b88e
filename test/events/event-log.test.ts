import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { makeBus } from "./helpers.js";

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

/** Runs a full collection once the current job's WeakRef targets are no longer kept. */
async function collected(refs: WeakRef<object>[]): Promise<boolean[]> {
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  return refs.map((ref) => ref.deref() === undefined);
}

describe("bus.recent with events not yet routed", () => {
  it("counts pending events in the history while they wait", async () => {
    const { bus, publish } = makeBus({ historySize: 4 });
    const seen: unknown[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.payload), { name: "s" });
    for (let n = 1; n <= 6; n++) publish("A", n);
    expect(bus.recent().map((e) => e.payload)).toEqual([3, 4, 5, 6]);
    expect(seen).toEqual([]);
    await bus.idle();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bus.recent(2).map((e) => e.payload)).toEqual([5, 6]);
  });
});

describe("bus.recent after bursts larger than the history", () => {
  it("keeps the last historySize events and delivers every burst in order", async () => {
    const { bus, publish } = makeBus({ historySize: 5 });
    const seen: number[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.seq), { name: "s" });
    let seq = 0;
    for (const burst of [3, 50, 7, 200, 1, 17]) {
      for (let i = 0; i < burst; i++) publish("A", ++seq);
      const held = Math.min(5, seq);
      expect(bus.recent().map((e) => e.payload)).toEqual(
        Array.from({ length: held }, (_, i) => seq - held + 1 + i),
      );
      await bus.idle();
    }
    expect(seen).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(bus.recent(2).map((e) => e.payload)).toEqual([seq - 1, seq]);
  });

  it("lets go of routed events outside the history", async () => {
    const { bus, publish } = makeBus({ historySize: 2 });
    bus.subscribe("A" as never, () => {}, { name: "s" });
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 100; i++) refs.push(new WeakRef(publish("A", { i })));
    await bus.idle();
    const gone = await collected(refs);
    expect(gone.slice(0, 98).every(Boolean)).toBe(true);
    expect(gone.slice(98)).toEqual([false, false]);
    expect(bus.recent().map((e) => (e.payload as { i: number }).i)).toEqual([98, 99]);
  });

  it("keeps nothing once routed with historySize 0", async () => {
    const { bus, publish } = makeBus({ historySize: 0 });
    bus.subscribe("A" as never, () => {}, { name: "s" });
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 30; i++) refs.push(new WeakRef(publish("A", { i })));
    await bus.idle();
    expect((await collected(refs)).every(Boolean)).toBe(true);
    expect(bus.recent()).toEqual([]);
  });
});

describe("bus.on published", () => {
  it("routes events in publish order when a listener publishes", async () => {
    const { bus, publish } = makeBus();
    const seen: string[] = [];
    bus.subscribeAll((event) => void seen.push(`${event.type}${event.seq}`), { name: "all" });
    bus.on("published", (event) => {
      if (event.type === "A") publish("B");
    });
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual(["A1", "B2", "A3", "B4"]);
  });
});
