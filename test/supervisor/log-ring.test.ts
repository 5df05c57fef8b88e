import { describe, expect, it } from "vitest";
import { LogRing } from "../../src/supervisor/log-ring.js";

const line = (daemon: string, n: number, level: "info" | "warn" = "info") => ({
  at: n,
  daemon,
  level,
  message: `${daemon} ${n}`,
  fields: {},
});

describe("LogRing", () => {
  it("keeps the newest lines of each daemon, oldest first, once it has wrapped", () => {
    const ring = new LogRing(3);
    for (let n = 1; n <= 8; n++) ring.push(line("a", n));
    expect(ring.query({ daemon: "a" }).map((e) => e.message)).toEqual(["a 6", "a 7", "a 8"]);
    expect(ring.query({ daemon: "a", limit: 2 }).map((e) => e.at)).toEqual([7, 8]);
    expect(ring.query({ daemon: "missing" })).toEqual([]);
  });

  it("merges daemons in push order and filters by level and time", () => {
    const ring = new LogRing(2);
    ring.push(line("a", 1));
    ring.push(line("b", 2, "warn"));
    ring.push(line("a", 3, "warn"));
    ring.push(line("a", 4));
    ring.push(line("b", 5));
    expect(ring.query().map((e) => e.message)).toEqual(["b 2", "a 3", "a 4", "b 5"]);
    expect(ring.query({ level: "warn" }).map((e) => e.message)).toEqual(["b 2", "a 3"]);
    expect(ring.query({ since: 3, until: 4 }).map((e) => e.message)).toEqual(["a 3", "a 4"]);
    const ids = ring.query().map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
  });
});
