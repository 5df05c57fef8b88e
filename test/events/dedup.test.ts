import { describe, expect, it } from "vitest";
import { DedupMemory } from "../../src/events/dedup.js";

const idOf = (seq: number) => `g-${seq}`;

describe("DedupMemory", () => {
  it("remembers the last `capacity` generated ids, in and out of seq order", () => {
    const memory = new DedupMemory(4, idOf);
    for (const seq of [1, 2, 3, 7, 5, 6]) memory.record(idOf(seq), seq, true);
    expect(memory.size).toBe(4);
    expect([1, 2, 3, 5, 6, 7].filter((seq) => memory.has(idOf(seq)))).toEqual([3, 5, 6, 7]);
  });

  it("keeps the window once lookups have started, mixing generated and supplied ids", () => {
    const memory = new DedupMemory(3, idOf);
    memory.record(idOf(1), 1, true);
    expect(memory.has("x")).toBe(false); // builds the set
    memory.record("x", 2, false);
    memory.record(idOf(3), 3, true);
    memory.record("x", 4, false); // already held: not recorded twice
    expect(memory.size).toBe(3);
    memory.record("y", 5, false); // forgets g-1
    expect([idOf(1), "x", idOf(3), "y"].map((id) => memory.has(id))).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it("keeps exactly the last `capacity` generated ids however many were recorded", () => {
    const memory = new DedupMemory(3, idOf);
    const seqs = [1, 2, 4, 5, 6, 9, 10, 12, 13, 14, 15, 20, 21];
    for (const [i, seq] of seqs.entries()) {
      memory.record(idOf(seq), seq, true);
      expect(memory.size).toBe(Math.min(i + 1, 3));
    }
    expect(seqs.filter((seq) => memory.has(idOf(seq)))).toEqual([15, 20, 21]);
  });

  it("remembers nothing with a window of 0", () => {
    const memory = new DedupMemory(0, idOf);
    memory.record("a", 1, false);
    expect(memory.has("a")).toBe(false);
  });
});
