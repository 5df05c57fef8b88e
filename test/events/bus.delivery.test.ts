import { describe, expect, it } from "vitest";
import { later, makeBus } from "./helpers.js";

describe("bus.publish", () => {
  it("stamps id, seq, time and source on the envelope", () => {
    const { bus, clock, publish } = makeBus();
    const a = publish("A", { n: 1 });
    const b = publish("A", { n: 2 }, { source: "auto_sync" });
    expect(a).toEqual({
      id: "t-1",
      type: "A",
      payload: { n: 1 },
      source: "manager",
      time: clock.now(),
      seq: 1,
    });
    expect(b.seq).toBe(2);
    expect(b.id).not.toBe(a.id);
    expect(b.source).toBe("auto_sync");
    bus.close();
  });

  it("generates distinct ids past the digit table", () => {
    const { publish } = makeBus({ historySize: 0 });
    const ids = new Set<string>();
    for (let i = 0; i < 25_000; i++) ids.add(publish("A").id);
    expect(ids.size).toBe(25_000);
    expect(ids.has("t-10000")).toBe(true);
    expect(ids.has("t-20001")).toBe(true);
  });

  it("does not run handlers inside publish, and never throws because of them", async () => {
    const { bus, publish } = makeBus();
    const seen: number[] = [];
    bus.subscribe("A" as never, (event) => {
      seen.push(event.seq);
      throw new Error("boom");
    });
    publish("A");
    expect(seen).toEqual([]);
    await bus.idle();
    expect(seen).toEqual([1]);
  });

  it("refuses to publish after close, saying the bus is closed", () => {
    const { bus, publish } = makeBus();
    bus.close();
    expect(() => publish("A")).toThrow(/closed/);
  });
});

describe("delivery order and independence", () => {
  it("delivers in publish order to each subscriber, one handler at a time, under async handlers of varying duration", async () => {
    const { bus, clock, publish } = makeBus();
    const handled: number[] = [];
    let running = 0;
    let maxRunning = 0;
    bus.subscribe("A" as never, async (event) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await later(clock, [30, 5, 20, 1, 10][event.seq % 5]!);
      handled.push(event.seq);
      running--;
    });
    for (let i = 0; i < 10; i++) publish("A");
    await clock.advance(1_000);
    await bus.idle();
    expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(maxRunning).toBe(1);
  });

  it("lets a fast subscriber finish while a slow one is still on its first event", async () => {
    const { bus, clock, publish } = makeBus();
    const slow: number[] = [];
    const fast: number[] = [];
    bus.subscribe("A" as never, async (event) => {
      await later(clock, 1_000);
      slow.push(event.seq);
    });
    bus.subscribe("A" as never, (event) => {
      fast.push(event.seq);
    });
    publish("A");
    publish("A");
    publish("A");
    await clock.advance(10);
    expect(fast).toEqual([1, 2, 3]);
    expect(slow).toEqual([]);
    await bus.idle("subscribe:A#2");
    await clock.advance(5_000);
    await bus.idle();
    expect(slow).toEqual([1, 2, 3]);
  });

  it("keeps order when a handler publishes (the new event comes after the ones already published)", async () => {
    const { bus, publish } = makeBus();
    const seen: string[] = [];
    bus.subscribe("A" as never, (event) => {
      seen.push(`A${event.seq}`);
      if (event.seq === 1) publish("A");
    });
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual(["A1", "A2", "A3"]);
  });

  it("lets a sole subscriber's handler call the bus mid-burst: the rest of the burst is routed first and still arrives once, in order", async () => {
    const { bus, publish } = makeBus();
    const seen: number[] = [];
    const depths: number[] = [];
    bus.subscribe(
      "A" as never,
      (event) => {
        seen.push(event.seq);
        if (event.seq === 2) {
          bus.subscribe("B" as never, () => {}); // routes events 3–5 into the mailbox first
          depths.push(bus.depth("only"), bus.stats().published);
        }
      },
      { name: "only" },
    );
    for (let i = 0; i < 5; i++) publish("A");
    await bus.idle();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(depths).toEqual([3, 5]);
    expect(bus.stats().delivered).toBe(5);
  });

  it("routes on when a handler calls the bus and then publishes, with several subscribers (this used to loop forever)", async () => {
    const { bus, publish } = makeBus();
    const seen: Record<string, number[]> = { one: [], two: [] };
    bus.subscribe(
      "A" as never,
      (event) => {
        seen.one!.push(event.seq);
        if (event.seq === 1) {
          bus.stats(); // routes what is pending, inside this handler
          publish("A");
        }
      },
      { name: "one" },
    );
    bus.subscribe("A" as never, (event) => void seen.two!.push(event.seq), { name: "two" });
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual({ one: [1, 2, 3], two: [1, 2, 3] });
  });

  it("gives subscribeAll every event, and subscribe only its type", async () => {
    const { bus, publish } = makeBus();
    const all: string[] = [];
    const onlyB: string[] = [];
    bus.subscribeAll((event) => void all.push(event.type), { name: "observer" });
    bus.subscribe("B" as never, (event) => void onlyB.push(event.type));
    publish("A");
    publish("B");
    publish("C");
    await bus.idle();
    expect(all).toEqual(["A", "B", "C"]);
    expect(onlyB).toEqual(["B"]);
  });

  it("gives ad-hoc subscriptions only events published after they subscribed, until they unsubscribe", async () => {
    const { bus, publish } = makeBus();
    const seen: number[] = [];
    publish("A");
    const unsubscribe = bus.subscribe("A" as never, (event) => void seen.push(event.seq));
    publish("A");
    await bus.idle();
    unsubscribe();
    publish("A");
    await bus.idle();
    expect(seen).toEqual([2]);
  });

  it("stops calling a subscription's handler as soon as it unsubscribes, even for events queued", async () => {
    const { bus, publish } = makeBus();
    const seen: number[] = [];
    const unsubscribe = bus.subscribe("A" as never, (event) => void seen.push(event.seq));
    publish("A");
    unsubscribe();
    await bus.idle();
    expect(seen).toEqual([]);
    expect(bus.stats().mailboxes).toEqual([]);
  });

  it("runs several handlers attached to one type in attach order", async () => {
    const { bus, publish } = makeBus();
    const seen: string[] = [];
    bus.attach("worker", "A", (event) => void seen.push(`first:${event.seq}`));
    bus.attach("worker", "A", async (event) => {
      await Promise.resolve();
      seen.push(`second:${event.seq}`);
    });
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual(["first:1", "second:1", "first:2", "second:2"]);
  });
});
