import { describe, expect, it } from "vitest";
import { createManualClock } from "../../src/internal/clock.js";
import { createWriteBuffer, type WriteBufferOptions } from "../../src/store/write-buffer.js";

/** A sink that can be made unreachable, recording every batch it accepted. */
function sink() {
  const batches: number[][] = [];
  let down = false;
  return {
    batches,
    rows: () => batches.flat(),
    setDown(value: boolean) {
      down = value;
    },
    async write(rows: number[]) {
      if (down) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      batches.push([...rows]);
    },
  };
}

function setup(over: Partial<WriteBufferOptions<number>> = {}) {
  const clock = createManualClock();
  const target = sink();
  const drops: Array<{ count: number; reason: string }> = [];
  const states: boolean[] = [];
  const buffer = createWriteBuffer<number>({
    write: (rows) => target.write(rows),
    clock,
    flushInterval: 100,
    maxBatch: 10,
    maxBuffered: 25,
    retry: { initialDelay: 50, factor: 2, maxDelay: 200 },
    onDrop: (d) => drops.push({ count: d.count, reason: d.reason }),
    onStateChange: (s) => states.push(s.degraded),
    ...over,
  });
  return { clock, target, buffer, drops, states };
}

describe("createWriteBuffer", () => {
  it("writes rows after the flush interval, in one batch", async () => {
    const { clock, target, buffer } = setup();
    buffer.push(1);
    buffer.push(2);
    await clock.advance(99);
    expect(target.batches).toEqual([]);
    await clock.advance(1);
    expect(target.batches).toEqual([[1, 2]]);
    expect(buffer.stats()).toMatchObject({ buffered: 0, written: 2, dropped: 0, degraded: false });
  });

  it("writes at once when a batch is full, in batches of maxBatch, without waiting for the interval", async () => {
    const { clock, target, buffer } = setup();
    for (let i = 0; i < 23; i++) buffer.push(i);
    await clock.settle();
    expect(target.batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(target.rows()).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(clock.now()).toBe(createManualClock().now());
  });

  it("coalesces rows by key: only the latest of each key is written", async () => {
    const clock = createManualClock();
    const written: Array<{ k: string; v: number }> = [];
    const buffer = createWriteBuffer<{ k: string; v: number }>({
      clock,
      key: (r) => r.k,
      write: async (rows) => {
        written.push(...rows);
      },
    });
    buffer.push({ k: "a", v: 1 });
    buffer.push({ k: "b", v: 1 });
    buffer.push({ k: "a", v: 2 });
    await buffer.flush();
    expect(written).toEqual([
      { k: "b", v: 1 },
      { k: "a", v: 2 },
    ]);
  });

  it("keeps one row per key however many keys arrive at once: a keyed buffer drops none unless bounded", async () => {
    const clock = createManualClock();
    const written = new Map<string, number>();
    const drops: number[] = [];
    const buffer = createWriteBuffer<{ k: string; v: number }>({
      clock,
      key: (r) => r.k,
      write: async (rows) => {
        for (const r of rows) written.set(r.k, r.v);
      },
      onDrop: (d) => drops.push(d.count),
    });
    // A fleet of 12,000 daemons starting together: more records at once than the default bound
    // of an unkeyed buffer (10,000), each of them its daemon's only record.
    for (let i = 0; i < 12_000; i++) buffer.push({ k: `d${i}`, v: 1 });
    for (let i = 0; i < 12_000; i++) buffer.push({ k: `d${i}`, v: 2 });
    await buffer.flush();
    expect(drops).toEqual([]);
    expect(written.size).toBe(12_000);
    expect([...written.values()].every((v) => v === 2)).toBe(true);
  });

  it("keeps rows while the target is down, reports degraded, retries with backoff and then writes everything", async () => {
    const { clock, target, buffer, states } = setup();
    target.setDown(true);
    for (let i = 0; i < 5; i++) buffer.push(i);
    await clock.advance(100); // first attempt fails
    expect(buffer.stats()).toMatchObject({ buffered: 5, degraded: true, written: 0 });
    expect(buffer.stats().lastError).toContain("ECONNREFUSED");
    expect(states).toEqual([true]);
    for (let i = 5; i < 8; i++) buffer.push(i); // push never throws, never blocks
    await clock.advance(50 + 100); // retries at +50, +100 (backoff 50, 100): still down
    expect(buffer.stats().buffered).toBe(8);
    target.setDown(false);
    await clock.advance(200);
    expect(target.rows()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(buffer.stats()).toMatchObject({ buffered: 0, degraded: false, written: 8, dropped: 0 });
    expect(states).toEqual([true, false]);
  });

  it("bounds what it keeps while down: drops the oldest and reports every drop", async () => {
    const { clock, target, buffer, drops } = setup();
    target.setDown(true);
    for (let i = 0; i < 40; i++) buffer.push(i);
    await clock.advance(100);
    expect(buffer.stats().buffered).toBe(25);
    const dropped = drops.reduce((n, d) => n + d.count, 0);
    expect(dropped).toBe(15);
    expect(buffer.stats().dropped).toBe(15);
    expect(drops.every((d) => d.reason === "overflow")).toBe(true);
    target.setDown(false);
    await buffer.flush();
    expect(target.rows()).toEqual(Array.from({ length: 25 }, (_, i) => 15 + i));
  });

  it("flush() rejects while the target is down and keeps the rows", async () => {
    const { target, buffer } = setup();
    target.setDown(true);
    buffer.push(1);
    await expect(buffer.flush()).rejects.toThrow(/ECONNREFUSED/);
    expect(buffer.stats().buffered).toBe(1);
    target.setDown(false);
    await buffer.flush();
    expect(target.rows()).toEqual([1]);
  });

  it("drops a batch the target refuses for good, counting it, and goes on", async () => {
    const clock = createManualClock();
    const written: number[] = [];
    const drops: string[] = [];
    const buffer = createWriteBuffer<number>({
      clock,
      maxBatch: 2,
      write: async (rows) => {
        if (rows.includes(13)) throw new TypeError("cannot bind");
        written.push(...rows);
      },
      isRetryable: (e) => !(e instanceof TypeError),
      onDrop: (d) => drops.push(`${d.count} ${d.reason}`),
    });
    for (const n of [1, 2, 13, 14, 5]) buffer.push(n);
    await buffer.flush();
    expect(written).toEqual([1, 2, 5]);
    expect(drops).toEqual(["2 rejected"]);
    expect(buffer.stats()).toMatchObject({ dropped: 2, degraded: false });
  });

  it("close() writes what is left and counts rows pushed afterwards as dropped", async () => {
    const { target, buffer, drops } = setup();
    buffer.push(1);
    expect(await buffer.close()).toBe(0);
    expect(target.rows()).toEqual([1]);
    buffer.push(2);
    expect(drops).toEqual([{ count: 1, reason: "closed" }]);
  });

  it("close() while down resolves with the rows it could not write and leaves no timer", async () => {
    const { clock, target, buffer } = setup();
    target.setDown(true);
    buffer.push(1);
    buffer.push(2);
    expect(await buffer.close()).toBe(2);
    expect(clock.pending()).toBe(0);
  });
});
