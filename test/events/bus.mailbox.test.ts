import { describe, expect, it } from "vitest";
import { later, makeBus } from "./helpers.js";

describe("declared mailboxes", () => {
  it("delivers events published before the subscriber started exactly once, in order, when it attaches", async () => {
    const { bus, publish } = makeBus();
    bus.declare("data_pipeline", ["FILES_SYNCED"]);
    publish("FILES_SYNCED", { files: 1 });
    publish("FILES_SYNCED", { files: 2 });
    publish("FILES_SYNCED", { files: 3 });
    await bus.idle();
    expect(bus.stats().mailboxes[0]).toMatchObject({ subscriber: "data_pipeline", depth: 3 });

    const handled: number[] = [];
    bus.attach("data_pipeline", "FILES_SYNCED", (event) => {
      handled.push((event.payload as { files: number }).files);
    });
    await bus.idle();
    expect(handled).toEqual([]); // still closed: a declared subscriber starts closed
    bus.setOpen("data_pipeline", true);
    await bus.idle();
    publish("FILES_SYNCED", { files: 4 });
    await bus.idle();
    expect(handled).toEqual([1, 2, 3, 4]);
    expect(bus.stats().mailboxes[0]).toMatchObject({ depth: 0, delivered: 4, open: true });
  });

  it("drains the backlog in order when opened before attaching", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    bus.setOpen("sub", true);
    publish("A");
    publish("A");
    await bus.idle();
    const seen: number[] = [];
    bus.attach("sub", "A", (event) => void seen.push(event.seq));
    publish("A");
    await bus.idle();
    expect(seen).toEqual([1, 2, 3]);
  });

  it("delivers a backlog once across a restart: detachAll, publish more, re-attach", async () => {
    const { bus, clock, publish } = makeBus();
    bus.declare("sub", ["A"]);
    publish("A"); // before the first start
    const first: number[] = [];
    bus.attach("sub", "A", async (event) => {
      await later(clock, 10);
      first.push(event.seq);
    });
    bus.setOpen("sub", true);
    publish("A");
    await clock.advance(100);
    await bus.idle();
    expect(first).toEqual([1, 2]);

    // The daemon stops (fails, restarts): closed, handlers gone; events keep arriving.
    bus.setOpen("sub", false);
    bus.detachAll("sub");
    publish("A");
    publish("A");
    await bus.idle();
    expect(bus.stats().mailboxes[0]).toMatchObject({ depth: 2, attached: [], open: false });

    const second: number[] = [];
    bus.attach("sub", "A", (event) => void second.push(event.seq));
    bus.setOpen("sub", true);
    publish("A");
    await bus.idle();
    expect(second).toEqual([3, 4, 5]);
    expect(first).toEqual([1, 2]);
  });

  it("lets an event in flight during a stop finish, and does not deliver it again after re-attach", async () => {
    const { bus, clock, publish } = makeBus();
    bus.declare("sub", ["A"]);
    const seen: string[] = [];
    bus.attach("sub", "A", async (event) => {
      await later(clock, 50);
      seen.push(`old:${event.seq}`);
    });
    bus.setOpen("sub", true);
    publish("A");
    publish("A");
    await clock.advance(10); // event 1 is in its handler
    bus.setOpen("sub", false);
    bus.detachAll("sub");
    bus.attach("sub", "A", (event) => void seen.push(`new:${event.seq}`));
    await clock.advance(100);
    await bus.idle();
    expect(seen).toEqual(["old:1"]);
    bus.setOpen("sub", true);
    await bus.idle();
    expect(seen).toEqual(["old:1", "new:2"]);
  });

  it("holds events while paused (closed) and drains them in order when opened again", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    const seen: number[] = [];
    bus.attach("sub", "A", (event) => void seen.push(event.seq));
    bus.setOpen("sub", true);
    publish("A");
    await bus.idle();
    bus.setOpen("sub", false);
    publish("A");
    publish("A");
    await bus.idle();
    expect(seen).toEqual([1]);
    expect(bus.stats().mailboxes[0]!.depth).toBe(2);
    bus.setOpen("sub", true);
    publish("A");
    await bus.idle();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("keeps events of a type without a handler queued without blocking the other types", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A", "B"]);
    bus.setOpen("sub", true);
    const seen: string[] = [];
    bus.attach("sub", "A", (event) => void seen.push(`A${event.seq}`));
    publish("B");
    publish("A");
    publish("B");
    publish("A");
    await bus.idle();
    expect(seen).toEqual(["A2", "A4"]);
    expect(bus.stats().mailboxes[0]).toMatchObject({ depth: 2, attached: ["A"] });
    bus.attach("sub", "B", (event) => void seen.push(`B${event.seq}`));
    await bus.idle();
    expect(seen).toEqual(["A2", "A4", "B1", "B3"]);
  });

  it("interleaves the backlog of several types in publish order once all are attached", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A", "B"]);
    publish("A");
    publish("B");
    publish("A");
    publish("B");
    const seen: string[] = [];
    bus.attach("sub", "A", (event) => void seen.push(`A${event.seq}`));
    bus.attach("sub", "B", (event) => void seen.push(`B${event.seq}`));
    bus.setOpen("sub", true);
    await bus.idle();
    expect(seen).toEqual(["A1", "B2", "A3", "B4"]);
  });

  it("does not collect events of types it did not declare until a handler attaches for them", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    bus.setOpen("sub", true);
    publish("X");
    const seen: number[] = [];
    bus.attach("sub", "X", (event) => void seen.push(event.seq));
    publish("X");
    await bus.idle();
    expect(seen).toEqual([2]);
  });

  it("declare is idempotent and adds new types", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    bus.declare("sub", ["A", "B"]);
    publish("A");
    publish("B");
    await bus.idle();
    expect(bus.stats().mailboxes).toEqual([
      expect.objectContaining({ subscriber: "sub", types: ["A", "B"], depth: 2, open: false }),
    ]);
  });

  it("a detach function of an attachment from before detachAll leaves the new attachment alone", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    bus.setOpen("sub", true);
    const seen: number[] = [];
    const handler = (event: { seq: number }) => void seen.push(event.seq);
    const detachOld = bus.attach("sub", "A", handler);
    bus.detachAll("sub");
    bus.attach("sub", "A", handler);
    detachOld();
    publish("A");
    await bus.idle();
    expect(seen).toEqual([1]);
  });
});

describe("capacity", () => {
  it("dead-letters an event for a full mailbox and counts it", async () => {
    const { bus, publish } = makeBus({ mailboxCapacity: 2 });
    bus.declare("sub", ["A"]);
    publish("A");
    publish("A");
    const third = publish("A");
    const stats = bus.stats();
    expect(stats.overflowed).toBe(1);
    expect(stats.deadLettered).toBe(1);
    expect(stats.mailboxes[0]).toMatchObject({ depth: 2, overflowed: 1 });
    expect(bus.deadLetters()).toEqual([
      expect.objectContaining({
        event: third,
        subscriber: "sub",
        reason: "mailbox-full",
        attempts: 0,
      }),
    ]);

    const seen: number[] = [];
    bus.attach("sub", "A", (event) => void seen.push(event.seq));
    bus.setOpen("sub", true);
    await bus.idle();
    expect(seen).toEqual([1, 2]);
  });

  it("drops the oldest dead letter when the list is full, and counts it", () => {
    const { bus, publish } = makeBus({ mailboxCapacity: 1, deadLetterCapacity: 2 });
    bus.declare("sub", ["A"]);
    for (let i = 0; i < 5; i++) publish("A"); // 1 queued, 4 overflow
    const letters = bus.deadLetters();
    expect(letters.map((letter) => letter.event.seq)).toEqual([4, 5]);
    expect(bus.stats().deadLettersDropped).toBe(2);
    expect(bus.stats().deadLettered).toBe(4);
  });
});
