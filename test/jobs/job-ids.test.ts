import { describe, expect, it } from "vitest";
import { newJobId } from "../../src/jobs/job-ids.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The Unix ms in a version-7 id's first 48 bits. */
const timeOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe("job ids", () => {
  it("are version-7 UUIDs carrying the time they were made", () => {
    const before = Date.now();
    const id = newJobId();
    expect(id).toMatch(UUID_V7);
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now() + 1);
    const later = Date.now() + 10_000;
    expect(timeOf(newJobId(later))).toBe(later);
  });

  it("rise and never repeat, even past 4,096 in one millisecond", () => {
    const at = Date.now() + 60_000; // ahead of every id made so far in this file
    const ids = Array.from({ length: 10_000 }, () => newJobId(at));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The counter holds 4,096 a millisecond; then the time field runs ahead of the clock by one.
    expect(timeOf(ids[0] as string)).toBe(at);
    expect(timeOf(ids[4096] as string)).toBe(at + 1);
    expect(timeOf(ids[9999] as string)).toBe(at + 2);
    // A clock that goes back does not make a smaller id.
    expect(newJobId(at - 5000) > (ids[9999] as string)).toBe(true);
  });

  it("differ in their random bits between ids of the same millisecond", () => {
    const at = Date.now() + 120_000;
    const tails = new Set(Array.from({ length: 1000 }, () => newJobId(at).slice(19)));
    expect(tails.size).toBe(1000);
  });
});
