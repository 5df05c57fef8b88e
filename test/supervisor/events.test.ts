import { defineDaemon, type EventEnvelope } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

declare module "ringmaster" {
  interface Events {
    TEST_FILES_SYNCED: { files: number };
  }
}

describe("events between daemons", () => {
  it("delivers an event published before its subscriber was ready, exactly once", async () => {
    const handled: number[] = [];
    const emitter = defineDaemon({
      name: "auto_sync",
      emits: ["TEST_FILES_SYNCED"],
      setup(ctx) {
        ctx.events.publish("TEST_FILES_SYNCED", { files: 1 });
        ctx.events.publish("TEST_FILES_SYNCED", { files: 2 });
      },
    });
    const subscriber = defineDaemon({
      name: "data_pipeline",
      subscribes: ["TEST_FILES_SYNCED"],
      async setup(ctx) {
        await ctx.sleep(5_000); // slow to start: the emitter runs first
        ctx.events.subscribe("TEST_FILES_SYNCED", (event) => {
          handled.push(event.payload.files);
        });
      },
    });
    const { clock, manager, firstTime } = setup([emitter, subscriber]);
    await drive(clock, manager.start(), 100);
    await clock.settle();
    expect(firstTime("auto_sync", "running")).toBeLessThan(
      firstTime("data_pipeline", "running") as number,
    );
    expect(handled).toEqual([1, 2]);
  });

  it("holds events while the subscriber restarts or is paused, then drains them in order once", async () => {
    const handled: number[] = [];
    let setups = 0;
    const subscriber = defineDaemon({
      name: "data_pipeline",
      subscribes: ["TEST_FILES_SYNCED"],
      setup(ctx) {
        setups++;
        ctx.events.subscribe("TEST_FILES_SYNCED", (event) => {
          handled.push(event.payload.files);
        });
      },
    });
    const { clock, manager } = setup([subscriber]);
    await drive(clock, manager.start());
    const publish = (files: number) => manager.events.publish("TEST_FILES_SYNCED", { files });
    publish(1);
    await clock.settle();
    await manager.pauseDaemon("data_pipeline");
    publish(2);
    publish(3);
    await clock.settle();
    expect(handled).toEqual([1]);
    await manager.resumeDaemon("data_pipeline");
    await clock.settle();
    expect(handled).toEqual([1, 2, 3]);
    await manager.stopDaemon("data_pipeline");
    publish(4);
    await drive(clock, manager.startDaemon("data_pipeline"));
    await clock.settle();
    expect(setups).toBe(2);
    expect(handled).toEqual([1, 2, 3, 4]);
  });

  it("stamps events with the publishing daemon and a sequence", async () => {
    const seen: EventEnvelope<"TEST_FILES_SYNCED">[] = [];
    const emitter = defineDaemon({
      name: "auto_sync",
      interval: "1s",
      cycle: (ctx) => void ctx.events.publish("TEST_FILES_SYNCED", { files: ctx.stats.cycles }),
    });
    const { clock, manager } = setup([emitter]);
    manager.events.subscribe("TEST_FILES_SYNCED", (event) => {
      seen.push(event);
    });
    await drive(clock, manager.start());
    await clock.advance(2_000);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toMatchObject({
      type: "TEST_FILES_SYNCED",
      source: "auto_sync",
      payload: { files: 0 },
    });
    expect((seen[1] as EventEnvelope).seq).toBe((seen[0] as EventEnvelope).seq + 1);
  });
});

describe("dead letters", () => {
  it("re-delivers dead letters of failed handlers every deadLetterRetryInterval", async () => {
    let healthy = false;
    const handled: number[] = [];
    const subscriber = defineDaemon({
      name: "flaky_consumer",
      subscribes: ["TEST_FILES_SYNCED"],
      setup(ctx) {
        ctx.events.subscribe("TEST_FILES_SYNCED", (event) => {
          if (!healthy) throw new Error("database down");
          handled.push(event.payload.files);
        });
      },
    });
    const { clock, manager } = setup([subscriber], { deadLetterRetryInterval: "1m" });
    await drive(clock, manager.start());
    manager.events.publish("TEST_FILES_SYNCED", { files: 7 });
    await clock.advance(1_000); // 3 attempts: at once, +100 ms, +300 ms
    const letters = manager.events.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      subscriber: "flaky_consumer",
      reason: "handler-failed",
      attempts: 3,
      error: "database down",
    });
    healthy = true;
    await clock.advance(60_000);
    expect(handled).toEqual([7]);
    expect(manager.events.deadLetters()).toEqual([]);
  });
});
