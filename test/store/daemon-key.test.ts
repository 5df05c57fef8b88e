import { describe, expect, it } from "vitest";
import { daemonKey } from "../../src/store/daemon-key.js";

describe("daemonKey", () => {
  it("one key per (node, name) pair: equal pairs share it, distinct pairs never do", () => {
    // The first node asked about keys by name alone; the pairs below would collide if the other
    // forms were careless about it.
    const pairs: Array<[string, string]> = [
      ["home", "alpha"],
      ["home", "beta"],
      ["other", "alpha"],
      ["home", "other\u0000alpha"],
      ["other\u0000alpha", "x"],
      ["", "alpha"],
      ["alpha", ""],
      ["home", ""],
    ];
    const keys = pairs.map(([node, name]) => daemonKey(node, name));
    expect(new Set(keys).size).toBe(pairs.length);
    // Asked again (in another order, with strings built afresh), each pair gets its key back.
    for (const [i, [node, name]] of [...pairs.entries()].reverse()) {
      expect(daemonKey(`${node}`.slice(0), [...name].join(""))).toBe(keys[i]);
    }
  });
});
