import { describe, expect, it } from "vitest";
import { createEventBus } from "../../src/events/bus.js";
import type { EventJournal } from "../../src/events/journal.js";
import type { DeadLetter } from "../../src/events/types.js";
import { createManualClock } from "../../src/internal/clock.js";
import { later, makeBus } from "./helpers.js";

describe("bus.stats", () => {
  it("counts published, delivered and per-mailbox depth, open and attached types", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A", "B"]);
    bus.subscribe("A" as never, () => {}, { name: "watcher" });
    bus.attach("sub", "A", () => {});
    publish("A");
    publish("B");
    await bus.idle();
    expect(bus.stats()).toEqual({
      published: 2,
      delivered: 1,
      retried: 0,
      deadLettered: 0,
      duplicates: 0,
      overflowed: 0,
      deadLettersDropped: 0,
      mailboxes: [
        {
          subscriber: "sub",
          types: ["A", "B"],
          depth: 2,
          open: false,
          attached: ["A"],
          delivered: 0,
          overflowed: 0,
        },
        {
          subscriber: "watcher",
          types: ["A"],
          depth: 0,
          open: true,
          attached: ["A"],
          delivered: 1,
          overflowed: 0,
        },
      ],
    });
  });

  it("names subscriptions uniquely", () => {
    const { bus } = makeBus();
    bus.subscribe("A" as never, () => {}, { name: "http" });
    bus.subscribe("A" as never, () => {}, { name: "http" });
    bus.subscribeAll(() => {});
    expect(bus.stats().mailboxes.map((m) => m.subscriber)).toEqual([
      "http",
      "http#2",
      "subscribe:all",
    ]);
  });
});

describe("bus.recent", () => {
  it("keeps the last historySize events, newest last", () => {
    const { bus, publish } = makeBus({ historySize: 3 });
    for (let i = 0; i < 5; i++) publish("A", i);
    expect(bus.recent().map((e) => e.payload)).toEqual([2, 3, 4]);
    expect(bus.recent(2).map((e) => e.payload)).toEqual([3, 4]);
    expect(bus.recent(0)).toEqual([]);
  });
});

describe("bus.on", () => {
  it("reports published, delivered (with duration) and dead-letter to observers", async () => {
    const { bus, clock, publish } = makeBus({ maxAttempts: 1 });
    const log: string[] = [];
    bus.on("published", (event) => void log.push(`published:${event.seq}`));
    bus.on("delivered", ({ event, subscriber, durationMs }) =>
      log.push(`delivered:${event.seq}:${subscriber}:${durationMs}`),
    );
    bus.on("dead-letter", (letter) => void log.push(`dead:${letter.event.seq}:${letter.reason}`));
    bus.subscribe(
      "A" as never,
      async (event) => {
        await later(clock, 25);
        if (event.seq === 2) throw new Error("no");
      },
      { name: "w" },
    );
    publish("A");
    publish("A");
    await clock.advance(100);
    await bus.idle();
    expect(log).toEqual([
      "published:1",
      "published:2",
      "delivered:1:w:25",
      "dead:2:handler-failed",
    ]);
  });

  it("keeps going when an observer throws, reporting it to onError", async () => {
    const { bus, publish, errors } = makeBus();
    bus.on("published", () => {
      throw new Error("observer broke");
    });
    const off = bus.on("delivered", () => {});
    off();
    const seen: number[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.seq));
    publish("A");
    await bus.idle();
    expect(seen).toEqual([1]);
    expect(errors.map((e) => [e.context, e.error.message])).toEqual([
      ["listener:published", "observer broke"],
    ]);
  });
});

describe("bus.idle", () => {
  it("resolves at once for an idle bus and for an unknown subscriber", async () => {
    const { bus } = makeBus();
    await bus.idle();
    await bus.idle("nobody");
  });

  it("waits for a running handler of that subscriber only", async () => {
    const { bus, clock, publish } = makeBus();
    let slowDone = false;
    bus.subscribe(
      "A" as never,
      async () => {
        await later(clock, 100);
        slowDone = true;
      },
      { name: "slow" },
    );
    bus.subscribe("A" as never, () => {}, { name: "fast" });
    publish("A");
    await bus.idle("fast");
    expect(slowDone).toBe(false);
    const waiting = bus.idle("slow");
    await clock.advance(100);
    await waiting;
    expect(slowDone).toBe(true);
  });

  it("treats a closed mailbox with a backlog as idle", async () => {
    const { bus, publish } = makeBus();
    bus.declare("sub", ["A"]);
    bus.attach("sub", "A", () => {});
    publish("A");
    await bus.idle();
    await bus.idle("sub");
    expect(bus.stats().mailboxes[0]!.depth).toBe(1);
  });
});

describe("bus.close", () => {
  it("cancels retry timers and stops deliveries", async () => {
    const { bus, clock, publish } = makeBus();
    let calls = 0;
    bus.subscribe("A" as never, () => {
      calls++;
      throw new Error("fails");
    });
    publish("A");
    await bus.idle();
    expect(clock.pending()).toBe(1);
    bus.close();
    expect(clock.pending()).toBe(0);
    await clock.advance(10_000);
    expect(calls).toBe(1);
    await bus.idle();
  });

  it("does not deliver events published just before close", async () => {
    const { bus, publish } = makeBus();
    const seen: number[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.seq));
    publish("A");
    bus.close();
    await bus.idle();
    expect(seen).toEqual([]);
  });
});

describe("journal seam", () => {
  it("is told of each publish, each successful handling, and each dead letter, in order", async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const journal: EventJournal = {
      published: (event) => void log.push(`published ${event.seq}`),
      handled: (subscriber, event) => void log.push(`handled ${subscriber} ${event.seq}`),
      deadLettered: (letter: DeadLetter) =>
        void log.push(`dead ${letter.subscriber} ${letter.event.seq}`),
    };
    const bus = createEventBus({ clock, journal, initialSeq: 41, options: { maxAttempts: 1 } });
    bus.declare("sub", ["A"]);
    bus.attach("sub", "A", (event) => {
      if (event.seq === 43) throw new Error("no");
    });
    bus.publish("A" as never, undefined as never);
    bus.publish("A" as never, undefined as never);
    bus.setOpen("sub", true);
    await bus.idle();
    expect(log).toEqual(["published 42", "published 43", "handled sub 42", "dead sub 43"]);
  });

  it("reports a failing journal hook to onError and carries on", async () => {
    const clock = createManualClock();
    const errors: string[] = [];
    const bus = createEventBus({
      clock,
      onError: (error, context) => errors.push(`${context}: ${error.message}`),
      journal: {
        published: () => Promise.reject(new Error("disk full")),
        handled: () => {
          throw new Error("cursor lost");
        },
      },
    });
    const seen: number[] = [];
    bus.subscribe("A" as never, (event) => void seen.push(event.seq));
    bus.publish("A" as never, undefined as never);
    await bus.idle();
    await clock.settle();
    expect(seen).toEqual([1]);
    expect(errors.sort()).toEqual(["journal: cursor lost", "journal: disk full"]);
  });
});

describe("options", () => {
  it("rejects a nonsensical option with the option's name", () => {
    expect(() =>
      createEventBus({ clock: createManualClock(), options: { maxAttempts: 0 } }),
    ).toThrow(/maxAttempts/);
  });
});
