import { describe, expect, it } from "vitest";
import { createBatcher } from "../../src/jobs/batcher.js";

describe("createBatcher", () => {
  it("writes a lone item at once, and items added during a write together in the next", async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const batcher = createBatcher(async (items: number[]) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => n * 10);
    }, 3);
    const first = batcher.add(1);
    const rest = [2, 3, 4, 5].map((n) => batcher.add(n));
    expect(writes).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(writes).toEqual([[1], [2, 3, 4], [5]]);
  });

  it("rejects every item of a failed write, and keeps writing later ones", async () => {
    let fail = true;
    const batcher = createBatcher(async (items: string[]) => {
      if (fail) {
        fail = false;
        throw new Error("database unreachable");
      }
      return items;
    }, 10);
    await expect(batcher.add("a")).rejects.toThrow("database unreachable");
    expect(await batcher.add("b")).toBe("b");
  });
});
