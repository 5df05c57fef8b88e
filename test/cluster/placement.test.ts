import { describe, expect, it } from "vitest";
import { planPlacement } from "../../src/cluster/placement.js";

const four = ["a", "b", "c", "d"];
const nodes = (...ids: string[]) => ids.map((id) => ({ id, candidates: four }));

describe("planPlacement", () => {
  it("gives each of 2 nodes a share of 2 of 4 daemons, and takes free ones up to it", () => {
    const plan = planPlacement({
      self: "n1",
      nodes: nodes("n1", "n2"),
      holders: new Map(),
      held: new Set(),
    });
    expect(plan).toMatchObject({ share: 2, limit: 2, shed: [] });
    expect(plan.acquire).toEqual(four);
  });

  it("leaves a balanced holder alone", () => {
    const holders = new Map([
      ["a", "n1"],
      ["b", "n1"],
      ["c", "n2"],
      ["d", "n2"],
    ]);
    const plan = planPlacement({
      self: "n1",
      nodes: nodes("n1", "n2"),
      holders,
      held: new Set(["a", "b"]),
    });
    expect(plan).toMatchObject({ acquire: [], shed: [] });
  });

  it("sheds what it holds above its share, while another candidate has room", () => {
    const held = new Set(four);
    const plan = planPlacement({ self: "n1", nodes: nodes("n1", "n2"), holders: new Map(), held });
    expect(plan.shed).toEqual(["a", "b"]);
    // Alone, a node keeps everything.
    expect(
      planPlacement({ self: "n1", nodes: nodes("n1"), holders: new Map(), held }).shed,
    ).toEqual([]);
  });

  it("only candidates take a daemon; a daemon no candidate has room for goes to the least loaded", () => {
    const input = {
      nodes: [
        { id: "n1", candidates: ["a", "b"] },
        { id: "n2", candidates: ["b"] },
      ],
      holders: new Map([["b", "n2"]]),
    };
    expect(planPlacement({ ...input, self: "n2", held: new Set(["b"]) }).acquire).toEqual([]);
    const n1 = planPlacement({ ...input, self: "n1", held: new Set() });
    expect(n1.acquire).toEqual(["a"]);
  });

  it("cluster.prefer: the first preferred candidate with room takes it; the others wait", () => {
    const prefer = { a: ["n2", "n1"] };
    const base = { nodes: nodes("n1", "n2"), holders: new Map(), held: new Set<string>(), prefer };
    expect(planPlacement({ ...base, self: "n1" }).acquire).not.toContain("a");
    expect(planPlacement({ ...base, self: "n2" }).acquire).toContain("a");
  });
});
