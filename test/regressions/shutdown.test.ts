import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

describe("regressions: shutdown", () => {
  it("no timers are left on the clock after shutdown (cycles, health, backoff, bus retries, dead-letter sweeper)", async () => {
    const daemons = [
      defineDaemon({
        name: "ticker",
        interval: "1s",
        cycle() {},
        health: () => ({ status: "healthy", message: "ok", details: {} }),
      }),
      defineDaemon({
        name: "flaky",
        interval: "1s",
        maxConsecutiveErrors: 0,
        cycle() {
          throw new Error("x");
        },
      }),
      defineDaemon({
        name: "sub",
        subscribes: ["REVIEW_A"],
        setup(ctx) {
          ctx.events.subscribe("REVIEW_A" as never, () => {
            throw new Error("handler fails");
          });
        },
      }),
    ];
    const { clock, manager } = setup(daemons, { deadLetterRetryInterval: "10s" } as never);
    void manager.start();
    await clock.advance(50);
    manager.events.publish("REVIEW_A" as never, {} as never);
    await clock.advance(50);
    const report = await drive(clock, manager.shutdown());
    expect(report.unstopped).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it("a daemon still stopping when the shutdown timeout runs out is reported once, and the report does not change afterwards", async () => {
    const d = defineDaemon({
      name: "slow",
      stopTimeout: "10s",
      async cleanup(ctx) {
        await new Promise<void>((r) => ctx.clock.setTimeout(r, 60_000));
      },
    });
    const { clock, manager } = setup([d]);
    await drive(clock, manager.start());
    const report = await drive(clock, manager.shutdown({ timeout: 5_000 }));
    const atReturn = JSON.stringify(report.unstopped);
    await clock.advance(20_000);
    expect(JSON.stringify(report.unstopped)).toBe(atReturn);
    expect(report.unstopped.map((u) => u.name)).toEqual(["slow"]);
  });
});
