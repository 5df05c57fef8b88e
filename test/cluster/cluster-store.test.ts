import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClusterNodeInfo, ClusterStore } from "../../src/store/cluster-types.js";
import type { Store } from "../../src/store/types.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "../store/helpers/databases.js";

const kinds: DatabaseKind[] = ["memory", "sqlite"];
if (await postgresAvailable()) kinds.push("postgres");

const T0 = Date.UTC(2026, 0, 1);
const TTL = 10_000;

const node = (id: string, instance = `${id}-i1`): ClusterNodeInfo => ({
  id,
  host: "h",
  pid: 1,
  profile: "p",
  url: null,
  instance,
  candidates: ["alpha"],
});

describe.each(kinds)("ClusterStore (%s)", (kind) => {
  let database: TestDatabase;
  let store: Store;
  let cluster: ClusterStore;

  beforeEach(async () => {
    database = testDatabase(kind);
    store = database.store();
    await store.open();
    cluster = store.cluster;
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  describe("leases", () => {
    it("acquireLease: the first holder gets token 1; anyone, itself included, is refused while it is unexpired", async () => {
      expect(await cluster.acquireLease("alpha", "a", TTL, T0)).toBe(1);
      expect(await cluster.acquireLease("alpha", "b", TTL, T0 + 1)).toBeNull();
      expect(await cluster.acquireLease("alpha", "a", TTL, T0 + 1)).toBeNull();
    });

    it("acquireLease: an expired or released lease is taken over with a greater token", async () => {
      await cluster.acquireLease("alpha", "a", TTL, T0);
      expect(await cluster.acquireLease("alpha", "b", TTL, T0 + TTL)).toBe(2);
      expect(await cluster.releaseLease("alpha", "b", 2)).toBe(true);
      expect(await cluster.acquireLease("alpha", "a", TTL, T0 + TTL + 1)).toBe(3);
      const [row] = await cluster.listLeases();
      expect(row).toMatchObject({
        name: "alpha",
        holder: "a",
        token: 3,
        expiresAt: T0 + 2 * TTL + 1,
      });
    });

    it("renewLeases: extends every lease held with its token in one call, and leaves out the lost ones", async () => {
      await cluster.acquireLease("alpha", "a", TTL, T0);
      await cluster.acquireLease("beta", "a", TTL, T0);
      await cluster.acquireLease("gamma", "a", 1_000, T0);
      // gamma expired and was taken by b; beta is presented with a stale token.
      await cluster.acquireLease("gamma", "b", TTL, T0 + 1_000);
      const renewed = await cluster.renewLeases(
        "a",
        [
          { name: "alpha", token: 1 },
          { name: "beta", token: 7 },
          { name: "gamma", token: 1 },
        ],
        TTL,
        T0 + 2_000,
      );
      expect(renewed).toEqual([{ name: "alpha", token: 1 }]);
      const byName = Object.fromEntries((await cluster.listLeases()).map((l) => [l.name, l]));
      expect(byName.alpha?.expiresAt).toBe(T0 + 2_000 + TTL);
      expect(byName.beta?.expiresAt).toBe(T0 + TTL);
      expect(byName.gamma?.holder).toBe("b");
      expect(await cluster.renewLeases("a", [], TTL, T0)).toEqual([]);
    });

    it("renewLeases: an expired lease is not revived, even when nobody took it", async () => {
      await cluster.acquireLease("alpha", "a", TTL, T0);
      expect(await cluster.renewLeases("a", [{ name: "alpha", token: 1 }], TTL, T0 + TTL)).toEqual(
        [],
      );
    });

    it("releaseLease refuses a stale token; releaseHolder frees all of one holder's leases", async () => {
      await cluster.acquireLease("alpha", "a", TTL, T0);
      await cluster.acquireLease("beta", "a", TTL, T0);
      await cluster.acquireLease("gamma", "b", TTL, T0);
      expect(await cluster.releaseLease("alpha", "a", 2)).toBe(false);
      expect(await cluster.releaseHolder("a")).toBe(2);
      expect(await cluster.acquireLease("alpha", "b", TTL, T0 + 1)).toBe(2);
      expect(await cluster.acquireLease("gamma", "a", TTL, T0 + 1)).toBeNull();
    });

    it("setFencedCursor: only the current holder with its token moves the cursor, forward only", async () => {
      await cluster.acquireLease("alpha", "a", 1_000, T0);
      const fence = { name: "alpha", holder: "a", token: 1 };
      expect(await cluster.setFencedCursor("alpha", 5, fence, T0 + 1)).toBe(true);
      expect(await cluster.setFencedCursor("alpha", 4, fence, T0 + 2)).toBe(false);
      expect(await cluster.setFencedCursor("alpha", 9, { ...fence, token: 2 }, T0 + 2)).toBe(false);
      // Expired: the old holder is fenced off before anyone takes over.
      expect(await cluster.setFencedCursor("alpha", 9, fence, T0 + 1_000)).toBe(false);
      await cluster.acquireLease("alpha", "b", TTL, T0 + 1_000);
      const next = { name: "alpha", holder: "b", token: 2 };
      expect(await cluster.setFencedCursor("alpha", 9, next, T0 + 1_001)).toBe(true);
      expect(await cluster.setFencedCursor("alpha", 12, fence, T0 + 1_002)).toBe(false);
    });
  });

  describe("membership", () => {
    it("joinNode refuses a second live instance of an id, and takes over a lost, stopped or named-dead one", async () => {
      expect((await cluster.joinNode(node("n1"), { now: T0, nodeTtl: TTL })).joined).toBe(true);
      const refused = await cluster.joinNode(node("n1", "n1-i2"), { now: T0 + 1, nodeTtl: TTL });
      expect(refused).toMatchObject({ joined: false, holder: { id: "n1", instance: "n1-i1" } });
      const replaced = await cluster.joinNode(node("n1", "n1-i2"), {
        now: T0 + 2,
        nodeTtl: TTL,
        replace: "n1-i1",
      });
      expect(replaced.joined).toBe(true);
      // The replaced instance can no longer heartbeat the row.
      expect(await cluster.heartbeatNode("n1", "n1-i1", T0 + 3)).toBe(false);
      expect(await cluster.heartbeatNode("n1", "n1-i2", T0 + 3)).toBe(true);
      // Lost (no heartbeat for nodeTtl): free.
      const later = await cluster.joinNode(node("n1", "n1-i3"), {
        now: T0 + 3 + TTL,
        nodeTtl: TTL,
      });
      expect(later.joined).toBe(true);
      await cluster.leaveNode("n1", "n1-i3", T0 + 4 + TTL);
      const again = await cluster.joinNode(node("n1", "n1-i4"), {
        now: T0 + 5 + TTL,
        nodeTtl: TTL,
      });
      expect(again.joined).toBe(true);
    });

    it("listNodes says live, lost or stopped by the heartbeat's age and a clean leave", async () => {
      await cluster.joinNode(node("n1"), { now: T0, nodeTtl: TTL });
      await cluster.joinNode(node("n2"), { now: T0 + 1, nodeTtl: TTL });
      await cluster.joinNode(node("n3"), { now: T0 + 2, nodeTtl: TTL });
      await cluster.heartbeatNode("n1", "n1-i1", T0 + 8_000);
      await cluster.leaveNode("n3", "n3-i1", T0 + 3);
      const nodes = await cluster.listNodes(T0 + TTL + 1, TTL);
      expect(nodes.map((n) => [n.id, n.state])).toEqual([
        ["n1", "live"],
        ["n2", "lost"],
        ["n3", "stopped"],
      ]);
      expect(nodes[0]).toMatchObject({ candidates: ["alpha"], lastHeartbeatAt: T0 + 8_000 });
      expect(await cluster.heartbeatNode("n3", "n3-i1", T0 + 9)).toBe(false);
    });

    it("setNodeCandidates replaces what a node may run, for its own instance only", async () => {
      await cluster.joinNode(node("n1"), { now: T0, nodeTtl: TTL });
      await cluster.setNodeCandidates("n1", "n1-i1", ["alpha", "beta"]);
      await cluster.setNodeCandidates("n1", "n1-other", ["gamma"]);
      const [row] = await cluster.listNodes(T0 + 1, TTL);
      expect(row?.candidates).toEqual(["alpha", "beta"]);
    });

    it("pruneNodes removes long-gone nodes with their per-node cursors, and keeps the rest", async () => {
      await cluster.joinNode(node("n1"), { now: T0, nodeTtl: TTL });
      await cluster.joinNode(node("n2"), { now: T0, nodeTtl: TTL });
      await cluster.heartbeatNode("n2", "n2-i1", T0 + 50_000);
      expect(await cluster.pruneNodes(T0 + 10_000)).toBe(1);
      expect((await cluster.listNodes(T0 + 50_000, TTL)).map((n) => n.id)).toEqual(["n2"]);
    });
  });
});
