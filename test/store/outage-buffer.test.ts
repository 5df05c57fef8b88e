import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../../src/internal/clock.js";
import { StoreUnavailableError } from "../../src/store/errors.js";
import { createMemoryBudget, spoolQueue } from "../../src/store/outage-buffer.js";
import { openSpool, type Spool } from "../../src/store/spool.js";
import { createWriteBuffer } from "../../src/store/write-buffer.js";

interface Row {
  n: number;
  pad: string;
}

const dirs: string[] = [];
const spools: Spool[] = [];
afterEach(() => {
  for (const s of spools.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spoolFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-spool-"));
  dirs.push(dir);
  return join(dir, "spool-node.db");
}

/** A write buffer over a sink that can be made unreachable, with a small budget and a real spool. */
function setup(options: { maxBytes: number; spoolMaxBytes: number; path?: string }) {
  const clock = createManualClock();
  const path = options.path ?? spoolFile();
  const spool = openSpool(path, { maxBytes: options.spoolMaxBytes });
  spools.push(spool);
  const budget = createMemoryBudget(options.maxBytes);
  const written: number[] = [];
  let down = false;
  const queue = spoolQueue<Row>(spool, "rows");
  const buffer = createWriteBuffer<Row>({
    clock,
    flushInterval: 10,
    maxBatch: 7,
    retry: { initialDelay: 50, factor: 2, maxDelay: 200 },
    overflow: { budget, sizeOf: (r) => JSON.stringify(r).length, spool: () => queue },
    async write(rows) {
      if (down) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      written.push(...rows.map((r) => r.n));
    },
  });
  return {
    clock,
    buffer,
    budget,
    spool,
    path,
    written,
    setDown(value: boolean) {
      down = value;
    },
  };
}

const row = (n: number): Row => ({ n, pad: "x".repeat(80) });
const ROW_BYTES = JSON.stringify(row(10)).length;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("the outage buffer", () => {
  it("keeps rows in memory up to the byte budget, the rest in the spool, and writes all in push order", async () => {
    const t = setup({ maxBytes: 10 * ROW_BYTES, spoolMaxBytes: 1_000_000 });
    t.setDown(true);
    for (let i = 10; i < 60; i++) t.buffer.push(row(i));
    await t.clock.advance(20);
    const during = t.buffer.stats();
    expect(during).toMatchObject({ buffered: 50, spooled: 40, dropped: 0, degraded: true });
    expect(during.bytes).toBeLessThanOrEqual(10 * ROW_BYTES);
    expect(t.budget.used()).toBe(during.bytes);
    expect(t.spool.count("rows")).toBe(40);

    t.setDown(false);
    await t.clock.advance(300);
    expect(t.written).toEqual(range(10, 60));
    expect(t.buffer.stats()).toMatchObject({ buffered: 0, spooled: 0, bytes: 0, written: 50 });
    expect(t.spool.count("rows")).toBe(0);
    expect(t.spool.bytes()).toBe(0);
  });

  it("refuses rows with a StoreUnavailableError when the spool is full, counting them, never dropping silently", async () => {
    const t = setup({ maxBytes: 2 * ROW_BYTES, spoolMaxBytes: 5 * ROW_BYTES });
    t.setDown(true);
    const refusals: unknown[] = [];
    for (let i = 10; i < 20; i++) {
      try {
        t.buffer.accept(row(i));
      } catch (error) {
        refusals.push(error);
      }
    }
    expect(refusals).toHaveLength(3);
    expect(refusals[0]).toBeInstanceOf(StoreUnavailableError);
    expect((refusals[0] as Error).message).toContain(t.spool.path);
    // push counts a refusal without throwing.
    t.buffer.push(row(20));
    expect(t.buffer.stats()).toMatchObject({ buffered: 7, refused: 4, dropped: 0 });

    t.setDown(false);
    await t.clock.advance(300);
    expect(t.written).toEqual(range(10, 17));
  });

  it("moves what is left in memory at close to the front of the spool, and a new process writes it first", async () => {
    const path = spoolFile();
    const first = setup({ maxBytes: 5 * ROW_BYTES, spoolMaxBytes: 1_000_000, path });
    first.setDown(true);
    for (let i = 10; i < 25; i++) first.buffer.push(row(i));
    await first.clock.advance(20);
    expect(await first.buffer.close()).toBe(0);
    first.spool.close();
    spools.splice(spools.indexOf(first.spool), 1);

    const second = setup({ maxBytes: 5 * ROW_BYTES, spoolMaxBytes: 1_000_000, path });
    expect(second.spool.count("rows")).toBe(15);
    second.buffer.push(row(25));
    second.buffer.resume();
    await second.clock.advance(100);
    expect(second.written).toEqual(range(10, 26));
  });
});
