// Error backoff inside a run (issue 15, item 10; seed 001's `sleep(min(2 ** errors, 60))`).
import { defineDaemon } from "ringmaster";
import { createTestManager } from "ringmaster/testing";
import { describe, expect, it } from "vitest";

const SECOND = 1000;

/** The gaps between the starts of consecutive cycles, for a cycle failing as `outcomes` says. */
async function gaps(
  outcomes: boolean[],
  options: { interval: string; cycleErrorBackoff?: boolean },
) {
  const starts: number[] = [];
  const plan = [...outcomes];
  const d = defineDaemon({
    name: "flaky",
    maxConsecutiveErrors: 10,
    ...options,
    cycle(ctx) {
      starts.push(ctx.clock.now());
      if (plan.shift() === false) throw new Error("cannot reach the peer");
    },
  });
  const t = createTestManager(d);
  await t.start();
  for (let i = 1; i < outcomes.length; i++) await t.runCycle("flaky");
  await t.shutdown();
  return starts.slice(1).map((at, i) => (at - (starts[i] ?? 0)) / SECOND);
}

describe("cycle error backoff", () => {
  it("waits max(interval, 1 s, 2 s, 4 s … 16 s) after failed cycles, and the interval after a success", async () => {
    const outcomes = [false, false, false, false, false, false, true, true, false, true];
    expect(await gaps(outcomes, { interval: "500ms" })).toEqual([1, 2, 4, 8, 16, 16, 0.5, 0.5, 1]);
    // An interval longer than the backoff delay is kept.
    expect(await gaps([false, false, false, true], { interval: "3s" })).toEqual([3, 3, 4]);
  });

  it("is off with cycleErrorBackoff: false", async () => {
    expect(
      await gaps([false, false, false, true], { interval: "500ms", cycleErrorBackoff: false }),
    ).toEqual([0.5, 0.5, 0.5]);
  });

  it("leaves cron schedules alone", async () => {
    const starts: number[] = [];
    const d = defineDaemon({
      name: "nightly",
      cron: "*/10 * * * * *",
      cycle(ctx) {
        starts.push(ctx.clock.now());
        throw new Error("no data");
      },
    });
    const t = createTestManager(d, { now: Date.UTC(2026, 0, 1, 0, 0, 5) });
    await t.start();
    await t.runCycle("nightly");
    await t.runCycle("nightly");
    await t.runCycle("nightly");
    await t.shutdown();
    expect(starts.slice(1).map((at, i) => (at - (starts[i] ?? 0)) / SECOND)).toEqual([10, 10]);
  });
});
