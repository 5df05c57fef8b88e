import { describe, expect, it } from "vitest";
import { makeBus } from "./helpers.js";

describe("retries", () => {
  it("retries a failing handler after 100 ms then 200 ms on the clock, and succeeds", async () => {
    const { bus, clock, publish } = makeBus();
    const attempts: number[] = [];
    const start = clock.now();
    bus.subscribe("A" as never, (event) => {
      attempts.push(clock.now() - start);
      if (attempts.length < 3) throw new Error(`flaky ${event.seq}`);
    });
    publish("A");
    await bus.idle();
    expect(attempts).toEqual([0]);
    await clock.advance(99);
    expect(attempts).toEqual([0]);
    await clock.advance(1);
    expect(attempts).toEqual([0, 100]);
    await clock.advance(200);
    expect(attempts).toEqual([0, 100, 300]);
    const stats = bus.stats();
    expect(stats).toMatchObject({ delivered: 1, retried: 2, deadLettered: 0 });
    expect(bus.deadLetters()).toEqual([]);
  });

  it("holds later events for that subscriber until the retried one is done", async () => {
    const { bus, clock, publish } = makeBus();
    const seen: string[] = [];
    let failures = 1;
    bus.subscribe("A" as never, async (event) => {
      if (event.seq === 1 && failures-- > 0) throw new Error("once");
      seen.push(`A${event.seq}`);
    });
    const other: number[] = [];
    bus.subscribe("A" as never, (event) => void other.push(event.seq));
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual([]);
    expect(other).toEqual([1, 2]);
    await clock.advance(100);
    await bus.idle();
    expect(seen).toEqual(["A1", "A2"]);
  });

  it("dead-letters the event after maxAttempts with the error and attempts, then delivers the next", async () => {
    const { bus, clock, publish } = makeBus({ maxAttempts: 3, retryDelay: 50 });
    const calls: number[] = [];
    bus.subscribe(
      "A" as never,
      async (event) => {
        calls.push(event.seq);
        if (event.seq === 1) throw new Error("cannot handle 1");
      },
      { name: "worker" },
    );
    const first = publish("A");
    publish("A");
    await clock.advance(50);
    await clock.advance(100);
    await bus.idle();
    expect(calls).toEqual([1, 1, 1, 2]);
    expect(bus.deadLetters()).toEqual([
      {
        id: expect.any(String),
        event: first,
        subscriber: "worker",
        reason: "handler-failed",
        error: "cannot handle 1",
        attempts: 3,
        at: clock.now(),
      },
    ]);
    expect(bus.stats()).toMatchObject({ delivered: 1, retried: 2, deadLettered: 1 });
  });

  it("retries a handler that rejects the same way as one that throws", async () => {
    const { bus, clock, publish } = makeBus({ maxAttempts: 2 });
    let calls = 0;
    bus.subscribe("A" as never, () => {
      calls++;
      return Promise.reject("not an Error");
    });
    publish("A");
    await clock.advance(1_000);
    await bus.idle();
    expect(calls).toBe(2);
    expect(bus.deadLetters()[0]).toMatchObject({ attempts: 2, error: "not an Error" });
  });

  it("cancels a pending retry when the subscriber is paused, and delivers the event afresh on resume", async () => {
    const { bus, clock, publish } = makeBus();
    bus.declare("sub", ["A"]);
    let calls = 0;
    bus.attach("sub", "A", () => {
      calls++;
      if (calls === 1) throw new Error("first call fails");
    });
    bus.setOpen("sub", true);
    publish("A");
    await bus.idle();
    expect(calls).toBe(1);
    bus.setOpen("sub", false);
    expect(clock.pending()).toBe(0);
    await clock.advance(1_000);
    expect(calls).toBe(1);
    bus.setOpen("sub", true);
    await bus.idle();
    expect(calls).toBe(2);
    expect(bus.stats().mailboxes[0]).toMatchObject({ depth: 0, delivered: 1 });
  });
});

describe("dedup", () => {
  it("handles a re-published id once per subscriber", async () => {
    const { bus, publish } = makeBus();
    const seen: string[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.id));
    const first = publish("A");
    await bus.idle();
    publish("A", undefined, { id: first.id });
    publish("A", undefined, { id: "custom" });
    publish("A", undefined, { id: "custom" });
    await bus.idle();
    expect(seen).toEqual([first.id, "custom"]);
    expect(bus.stats().duplicates).toBe(2);
  });

  it("dedups per subscriber: a late subscriber still gets the id once", async () => {
    const { bus, publish } = makeBus();
    const a: string[] = [];
    bus.subscribe("A" as never, (event) => void a.push(event.id));
    publish("A", undefined, { id: "x" });
    await bus.idle();
    const b: string[] = [];
    bus.subscribe("A" as never, (event) => void b.push(event.id));
    publish("A", undefined, { id: "x" });
    await bus.idle();
    expect(a).toEqual(["x"]);
    expect(b).toEqual(["x"]);
  });

  it("drops a duplicate that is still queued behind the original", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    publish("A", 1, { id: "same" });
    publish("A", 2, { id: "same" });
    const seen: unknown[] = [];
    bus.attach("sub", "A", (event) => void seen.push(event.payload));
    bus.setOpen("sub", true);
    await bus.idle();
    expect(seen).toEqual([1]);
  });

  it("forgets ids older than the window: such an id is handled again", async () => {
    const { bus, publish } = makeBus({ dedupWindow: 3 });
    const seen: string[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.id));
    const old = publish("A"); // generated id, remembered as its seq until lookups start
    publish("A", undefined, { id: "k1" });
    publish("A", undefined, { id: old.id }); // within the window: skipped
    await bus.idle();
    expect(seen).toEqual([old.id, "k1"]);
    publish("A", undefined, { id: "k2" });
    publish("A", undefined, { id: "k3" });
    publish("A", undefined, { id: "k4" }); // window now k2, k3, k4
    publish("A", undefined, { id: old.id }); // forgotten: handled again
    publish("A", undefined, { id: "k4" }); // remembered: skipped
    await bus.idle();
    expect(seen).toEqual([old.id, "k1", "k2", "k3", "k4", old.id]);
    expect(bus.stats().duplicates).toBe(2);
  });
});

describe("bus.retryDeadLetter", () => {
  it("re-queues a dead letter at the end of its subscriber's mailbox and removes it", async () => {
    const { bus, clock, publish } = makeBus({ maxAttempts: 1 });
    bus.declare("sub", ["A"]);
    let healthy = false;
    const seen: number[] = [];
    bus.attach("sub", "A", (event) => {
      if (!healthy && event.seq === 1) throw new Error("down");
      seen.push(event.seq);
    });
    bus.setOpen("sub", true);
    publish("A");
    publish("A");
    await bus.idle();
    const [letter] = bus.deadLetters();
    expect(letter).toMatchObject({ reason: "handler-failed", attempts: 1 });
    healthy = true;
    expect(bus.retryDeadLetter(letter!.id)).toBe(true);
    expect(bus.deadLetters()).toEqual([]);
    await clock.advance(0);
    await bus.idle();
    expect(seen).toEqual([2, 1]);
  });

  it("re-delivers even an id the subscriber's dedup memory holds", async () => {
    const { bus, publish } = makeBus({ maxAttempts: 1 });
    let fail = true;
    const seen: unknown[] = [];
    bus.subscribe("A" as never, (event) => {
      if (fail && event.payload === "first") throw new Error("no");
      seen.push(event.payload);
    });
    publish("A", "first", { id: "dup" });
    await bus.idle();
    fail = false;
    publish("A", "second", { id: "dup" }); // not a duplicate: "first" was never handled
    await bus.idle();
    expect(seen).toEqual(["second"]);
    expect(bus.retryDeadLetter(bus.deadLetters()[0]!.id)).toBe(true);
    await bus.idle();
    expect(seen).toEqual(["second", "first"]);
  });

  it("re-queues an overflowed event when asked, and returns false for an unknown id", async () => {
    const { bus, publish } = makeBus({ mailboxCapacity: 1 });
    bus.declare("sub", ["A"]);
    publish("A");
    publish("A");
    expect(bus.retryDeadLetter("nope")).toBe(false);
    const letter = bus.deadLetters()[0]!;
    expect(bus.retryDeadLetter(letter.id)).toBe(true);
    expect(bus.retryDeadLetter(letter.id)).toBe(false);
    const seen: number[] = [];
    bus.attach("sub", "A", (event) => void seen.push(event.seq));
    bus.setOpen("sub", true);
    await bus.idle();
    expect(seen).toEqual([1, 2]);
  });
});
