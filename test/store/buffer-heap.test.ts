import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/buffer-heap.ts", import.meta.url));
const run = promisify(execFile);

/**
 * The outage buffer's bound is on memory (`store.outageBuffer`), so what it counts for a row must
 * cover what the row holds in the heap: measured in a child process with a full collection before
 * and after buffering 20,000 rows of each kind while the database is unreachable.
 */
describe("the outage buffer's size accounting", () => {
  it.each(["events", "logs", "launches"])(
    "counts at least the heap that buffered %s hold, and not much more",
    async (kind) => {
      const { stdout } = await run(
        process.execPath,
        ["--expose-gc", "--import", "tsx", FIXTURE, kind, "20000"],
        { timeout: 60_000 },
      );
      const { counted, grown } = JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
        counted: number;
        grown: number;
      };
      expect(grown).toBeGreaterThan(20_000 * 100);
      // Within 5% below (the heap's own noise) and at most 1.6 times the heap.
      expect(counted).toBeGreaterThanOrEqual(grown * 0.95);
      expect(counted).toBeLessThanOrEqual(grown * 1.6);
    },
    90_000,
  );
});

const DRAINED = fileURLToPath(new URL("./fixtures/buffer-drained-heap.ts", import.meta.url));

/**
 * An outage's rows, once written, leave nothing behind in the heap: no bookkeeping kept at the
 * outage's high-water mark (the per-row byte counts were a WeakMap whose table stayed at its
 * peak: 4 MB after 100,000 rows, for the life of the process), and no rows held by the last
 * write error the buffer keeps (its stack, unformatted, held the failed batch: 23 MB here).
 */
describe("the outage buffer after the store returns", () => {
  it("gives the heap back once the buffered rows are written", async () => {
    const { stdout } = await run(
      process.execPath,
      ["--expose-gc", "--import", "tsx", DRAINED, "100000"],
      { timeout: 60_000 },
    );
    const r = JSON.parse(stdout.trim().split("\n").at(-1) as string) as Record<string, number>;
    expect(r).toMatchObject({ written: 101_000, waiting: 0, bytesBuffered: 0 });
    const held = (r.peak as number) - (r.before as number);
    expect(held).toBeGreaterThan(100_000 * 100);
    // What is left once written: under 2% of what the outage held.
    expect((r.after as number) - (r.before as number)).toBeLessThan(held * 0.02);
  }, 90_000);
});
