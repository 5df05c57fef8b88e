import { describe, expect, it } from "vitest";
import { createManager, defineConfig, defineDaemon } from "../../src/index.js";
import { until } from "../helpers/until.js";
import { FAST } from "./helpers/node-process.js";
import { sharedSqliteNodes } from "./helpers/shared-sqlite.js";

// Two managers of one process on one SQLite file: the cluster surfaces through the real HTTP API.
const { sharedStore, track } = sharedSqliteNodes("cluster-api");

function node(store: string, id: string) {
  const leader = defineDaemon({ name: "leader", scope: "cluster", interval: 20, cycle() {} });
  const local = defineDaemon({ name: "local", interval: 20, cycle() {} });
  const manager = createManager(
    defineConfig({
      daemons: [leader, local],
      store,
      storePollInterval: "50ms",
      http: { host: "127.0.0.1", port: 0 },
      cluster: FAST,
    }),
    { logger: false, node: { id } },
  );
  return track(manager);
}

describe("a cluster of two managers on one SQLite file", () => {
  it("runs the cluster daemon on one node, standby on the other; any node's API shows both", async () => {
    const store = sharedStore();
    const a = node(store, "node-a");
    await a.start();
    const b = node(store, "node-b");
    await b.start();
    expect(a.status("leader").state).toBe("running");
    expect(b.status("leader").state).toBe("standby");
    expect(b.readiness().ok).toBe(true);

    type View = { id: string; state: string; self: boolean; holds: { name: string }[] };
    const nodes = async () => (await fetch(`${b.url}/api/nodes`).then((r) => r.json())) as View[];
    await until("both nodes listed", async () => (await nodes()).length === 2);
    const seen = await nodes();
    expect(seen.map((n) => [n.id, n.state, n.self, n.holds.map((h) => h.name)])).toEqual([
      ["node-a", "live", false, ["leader"]],
      ["node-b", "live", true, []],
    ]);

    const metrics = await fetch(`${a.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/ringmaster_lease_held\{daemon="leader"\} 1/);
    expect(metrics).toMatch(/ringmaster_lease_fencing_token\{daemon="leader"\} 1/);
    expect(metrics).toMatch(/ringmaster_lease_acquisitions_total 1/);

    // A clean stop of the holder hands over within a second.
    const stoppedAt = Date.now();
    await a.shutdown();
    await until("b runs it", () => b.status("leader").state === "running", 1_000);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    const after = await nodes();
    expect(after.find((n) => n.id === "node-a")?.state).toBe("stopped");
  });

  it("refuses a second live node with the same id, with a clear error", async () => {
    const store = sharedStore();
    await node(store, "same").start();
    await expect(node(store, "same").start()).rejects.toThrow(/node id "same" is already live/);
  });
});
