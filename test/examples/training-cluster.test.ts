import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ClusterLaunch,
  launchCluster,
  type PlacedNode,
} from "../../examples/training-pipeline/cluster.js";
import { CLUSTER_NODES, CLUSTER_SCOPED } from "../../examples/training-pipeline/cluster-fleet.js";

// `npm run example:cluster`'s building block: three real `ringmaster start --profile <role>`
// processes on one SQLite file, with short lease timings so a failover takes about a second.
// nodeTtl well above leaseTtl + renewInterval: the survivors take the killed node's daemons
// before it even counts as lost.
const TIMINGS = {
  renewInterval: 200,
  leaseTtl: 1_000,
  safetyMargin: 300,
  nodeTtl: 3_000,
  heartbeatInterval: 200,
};
/** Polling `/api/nodes` sees a move this much after it happened, at most (one poll and a read). */
const OBSERVATION = 300;

const dir = mkdtempSync(join(tmpdir(), "ringmaster-example-cluster-"));
let cluster: ClusterLaunch | undefined;
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const until = async <T>(what: string, get: () => Promise<T | undefined>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** Holder of each cluster daemon among the live nodes, when each has exactly one. */
function holders(nodes: readonly PlacedNode[]): Map<string, PlacedNode> | undefined {
  const out = new Map<string, PlacedNode>();
  for (const name of CLUSTER_SCOPED) {
    const holding = nodes.filter((n) => n.state === "live" && n.holds.some((h) => h.name === name));
    if (holding.length !== 1) return undefined;
    out.set(name, holding[0] as PlacedNode);
  }
  return out;
}

/** The node's daemon records say it runs what it holds and stands by for the rest. */
const recordsAgree = (node: PlacedNode) =>
  CLUSTER_SCOPED.every((name) => {
    const state = node.runs.find((r) => r.name === name)?.state;
    return token(node, name) === undefined
      ? state === "standby"
      : state !== undefined && state !== "standby";
  });

const token = (node: PlacedNode, name: string) => node.holds.find((h) => h.name === name)?.token;

describe("npm run example:cluster", () => {
  it("spreads the cluster daemons over three nodes, moves a killed node's within leaseTtl + renewInterval, and stops cleanly", async () => {
    const ports = Object.fromEntries(CLUSTER_NODES.map((n) => [n.profile, 0]));
    cluster = await launchCluster({ dir, ports, timings: TIMINGS });
    const { nodes } = cluster;
    expect(nodes.map((n) => n.profile)).toEqual(["coordinator", "training_node", "selfplay"]);

    // Each cluster daemon on exactly one node, 2 + 2 + 2, and standing by on the other two (the
    // daemon records, written in batches, follow the leases shortly).
    const placed = await until(
      "an even spread",
      async () => {
        const seen = await cluster?.placement();
        const by = seen && holders(seen);
        if (!seen || !by) return undefined;
        const counts = seen.filter((n) => n.state === "live").map((n) => n.holds.length);
        const even = counts.length === 3 && counts.every((c) => c === 2);
        return even && seen.every(recordsAgree) ? seen : undefined;
      },
      10_000,
    );
    expect(placed.map((n) => n.profile).sort()).toEqual([
      "coordinator",
      "selfplay",
      "training_node",
    ]);

    // kill -9 the training node: its two daemons move to the others, with greater tokens.
    const victim = nodes.find((n) => n.profile === "training_node");
    const before = placed.find((n) => n.pid === victim?.pid) as PlacedNode;
    const moved = before.holds.map((h) => h.name);
    const killedAt = Date.now();
    victim?.child.kill("SIGKILL");
    const after = await until(
      "its daemons on the other nodes",
      async () => {
        const seen = await cluster?.placement();
        const by = seen && holders(seen);
        if (!by) return undefined;
        return moved.every((name) => by.get(name)?.id !== before.id) ? by : undefined;
      },
      5_000,
    );
    const failover = Date.now() - killedAt;
    expect(failover).toBeLessThan(TIMINGS.leaseTtl + TIMINGS.renewInterval + OBSERVATION);
    for (const name of moved) {
      const holder = after.get(name) as PlacedNode;
      expect(holder.profile).not.toBe("training_node");
      expect(token(holder, name)).toBeGreaterThan(token(before, name) as number);
    }
    expect(await victim?.exited).toEqual({ code: null, signal: "SIGKILL" });

    // Ctrl-C's path: every node left stops on SIGTERM and exits 0.
    await cluster.stop();
    for (const n of nodes.filter((x) => x !== victim)) {
      expect(await n.exited, n.profile).toEqual({ code: 0, signal: null });
    }
  }, 40_000);
});
