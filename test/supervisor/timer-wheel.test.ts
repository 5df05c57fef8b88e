// The timer wheel behind periodic daemons' cycles (issue 17): timers due at the same time share
// one clock timer and fire as a batch, in scheduling order, at exactly their due times on the
// injected clock; removal; one timer's throw does not stop the others.
import { createManualClock, type ManualClock } from "ringmaster/testing";
import { describe, expect, it } from "vitest";
import { TimerWheel, WheelTimer } from "../../src/supervisor/timer-wheel.js";

class Named extends WheelTimer {
  constructor(readonly name: string) {
    super();
  }
}

/** A wheel on `clock` whose timers note `name@ms` when they fire; `throws` lists those that throw. */
function wheelOn(clock: ManualClock, throws: string[] = []) {
  const fired: string[] = [];
  const failures: Array<{ name: string; error: string }> = [];
  const wheel = new TimerWheel<Named>(clock, {
    fire(timer, now) {
      fired.push(`${timer.name}@${now - T0}`);
      if (throws.includes(timer.name)) throw new Error(`${timer.name} broke`);
      return Number.NaN;
    },
    failed(timer, error) {
      failures.push({ name: timer.name, error: (error as Error).message });
    },
  });
  return { wheel, fired, failures };
}

const T0 = Date.UTC(2026, 0, 1);

describe("timer wheel", () => {
  it("fires timers at their due times on the manual clock, one clock timer per due time", async () => {
    const clock = createManualClock(T0);
    const { wheel, fired } = wheelOn(clock);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Named(n)) as [
      Named,
      Named,
      Named,
      Named,
    ];
    wheel.schedule(a, T0 + 100);
    wheel.schedule(b, T0 + 50);
    wheel.schedule(c, T0 + 100);
    wheel.schedule(d, T0 + 100);
    expect(wheel.size).toBe(4);
    expect(clock.pending()).toBe(2);
    await clock.advance(49);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual(["b@50"]);
    await clock.advance(49);
    expect(fired).toEqual(["b@50"]);
    await clock.advance(1);
    // Same due time: in the order they were scheduled.
    expect(fired).toEqual(["b@50", "a@100", "c@100", "d@100"]);
    expect(wheel.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it("moves a rescheduled timer, and a cancelled one never fires; the last one out clears the clock timer", async () => {
    const clock = createManualClock(T0);
    const { wheel, fired } = wheelOn(clock);
    const a = new Named("a");
    const b = new Named("b");
    wheel.schedule(a, T0 + 10);
    wheel.schedule(b, T0 + 10);
    wheel.schedule(a, T0 + 30);
    expect(a.due).toBe(T0 + 30);
    wheel.cancel(b);
    expect(b.scheduled).toBe(false);
    // The bucket at 10 is empty: its clock timer is gone.
    expect(clock.pending()).toBe(1);
    wheel.cancel(b);
    await clock.advance(30);
    expect(fired).toEqual(["a@30"]);
    wheel.schedule(b, T0 + 40);
    wheel.cancel(b);
    expect(clock.pending()).toBe(0);
    await clock.advance(100);
    expect(fired).toEqual(["a@30"]);
  });

  it("a timer rescheduled from its own batch fires in a later one; one cancelled by an earlier timer of the batch is skipped", async () => {
    const clock = createManualClock(T0);
    const fired: string[] = [];
    const timers: Record<string, Named> = {};
    const wheel: TimerWheel<Named> = new TimerWheel<Named>(clock, {
      fire(timer, now) {
        fired.push(`${timer.name}@${now - T0}`);
        if (timer.name === "a" && fired.length === 1) {
          wheel.cancel(timers.b as Named);
          wheel.schedule(timer, now, now); // due at once: the next turn, not this batch
        }
        return Number.NaN;
      },
      failed() {},
    });
    for (const n of ["a", "b", "c"]) {
      timers[n] = new Named(n);
      wheel.schedule(timers[n], T0 + 5);
    }
    await clock.advance(5);
    expect(fired).toEqual(["a@5", "c@5", "a@5"]);
    wheel.cancel(timers.a as Named);
    expect(clock.pending()).toBe(0);
  });

  it("a timer that throws fails alone: the rest of its batch fires", async () => {
    const clock = createManualClock(T0);
    const { wheel, fired, failures } = wheelOn(clock, ["b"]);
    for (const n of ["a", "b", "c"]) wheel.schedule(new Named(n), T0 + 20);
    await clock.advance(20);
    expect(fired).toEqual(["a@20", "b@20", "c@20"]);
    expect(failures).toEqual([{ name: "b", error: "b broke" }]);
  });

  it("gives each timer of a batch the latest clock reading its predecessors returned", async () => {
    const clock = createManualClock(T0);
    const seen: number[] = [];
    const wheel = new TimerWheel<Named>(clock, {
      fire(_timer, now) {
        seen.push(now - T0);
        return now + 3; // as if the timer had read the clock again at its end
      },
      failed() {},
    });
    for (const n of ["a", "b", "c"]) wheel.schedule(new Named(n), T0 + 10);
    await clock.advance(10);
    expect(seen).toEqual([10, 13, 16]);
  });

  it("buckets used again (after firing, after emptying) fire only their new timers, at their new times", async () => {
    const clock = createManualClock(T0);
    const { wheel, fired } = wheelOn(clock);
    const [a, b, c] = ["a", "b", "c"].map((n) => new Named(n)) as [Named, Named, Named];
    wheel.schedule(a, T0 + 10);
    await clock.advance(10);
    expect(fired).toEqual(["a@10"]);
    // The fired bucket is spare now; emptied by cancels, the next one is too.
    wheel.schedule(a, T0 + 20);
    wheel.schedule(b, T0 + 20);
    wheel.cancel(a);
    wheel.cancel(b);
    expect(clock.pending()).toBe(0);
    wheel.schedule(c, T0 + 30);
    wheel.schedule(a, T0 + 40);
    expect([c.due, a.due, b.due]).toEqual([T0 + 30, T0 + 40, Number.NaN]);
    expect(wheel.bucketCount).toBe(2);
    await clock.advance(40);
    expect(fired).toEqual(["a@10", "c@30", "a@40"]);
    expect(wheel.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it("reads ahead of a batch eight timers at a time, a group before their turn, and counts what it read", async () => {
    const clock = createManualClock(T0);
    const calls: string[] = [];
    const wheel = new TimerWheel<Named>(clock, {
      fire(timer) {
        calls.push(`fire ${timer.name}`);
        // Cancelled before its turn: neither fired nor read ahead when its group is read.
        if (timer.name === "t3") wheel.cancel(timers[17] as Named);
        return Number.NaN;
      },
      failed() {},
      prefetch(timer) {
        calls.push(`ahead ${timer.name}`);
        return timer.name !== "t1";
      },
    });
    const timers = Array.from({ length: 20 }, (_, i) => new Named(`t${i}`));
    for (const timer of timers) wheel.schedule(timer, T0 + 10);
    await clock.advance(10);
    const names = (from: number, to: number, what: string) =>
      timers
        .slice(from, to)
        .filter((t) => t.name !== "t17")
        .map((t) => `${what} ${t.name}`);
    expect(calls).toEqual([
      ...names(0, 16, "ahead"),
      ...names(0, 8, "fire"),
      ...names(16, 20, "ahead"),
      ...names(8, 20, "fire"),
    ]);
    // 19 read (t17 was cancelled first), t1's read found nothing to count.
    expect(wheel.readAhead).toBe(18);
  });
});
