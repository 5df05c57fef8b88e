import { describe, expect, it } from "vitest";
import { createManager, defineConfig, defineDaemon, type Manager } from "../../src/index.js";
import { inspectManager } from "../../src/manager/internal-access.js";
import { until } from "../helpers/until.js";
import { FAST } from "./helpers/node-process.js";
import { sharedSqliteNodes } from "./helpers/shared-sqlite.js";

// A `scope: "cluster"` daemon that start() did not select, started later by an operator: it
// becomes a lease candidate on that node (acquires it, or waits in standby), like a selected one.
const { sharedStore, track } = sharedSqliteNodes("cluster-manual");

function node(store: string, id: string, daemons = ["local"]) {
  const leader = defineDaemon({ name: "leader", scope: "cluster", interval: 20, cycle() {} });
  const extra = defineDaemon({ name: "extra", scope: "cluster", interval: 20, cycle() {} });
  const local = defineDaemon({ name: "local", interval: 20, cycle() {} });
  const manager = createManager(
    defineConfig({
      daemons: [leader, extra, local],
      profiles: { plain: daemons },
      store,
      storePollInterval: "50ms",
      http: { host: "127.0.0.1", port: 0 },
      cluster: FAST,
    }),
    { logger: false, node: { id } },
  );
  return track(manager);
}

type NodeView = { id: string; candidates?: string[]; holds: { name: string; token: number }[] };
const nodesOf = async (m: Manager) =>
  (await fetch(`${m.url}/api/nodes`).then((r) => r.json())) as NodeView[];

describe("a cluster daemon started by hand, outside start()'s selection", () => {
  it("acquires its lease when no cluster daemon was selected, and stands by on a second node", async () => {
    const store = sharedStore();
    const a = node(store, "node-a");
    const b = node(store, "node-b");
    await a.start({ profile: "plain" });
    await b.start({ profile: "plain" });
    expect(a.status("extra").state).toBe("stopped");

    await a.startDaemon("extra");
    await until("extra runs on a", () => a.status("extra").state === "running");
    // Through the HTTP API on b: it becomes a candidate there too, and waits for a's lease.
    const response = await fetch(`${b.url}/api/daemons/extra/start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(200);
    await until("extra stands by on b", () => b.status("extra").state === "standby");
    expect(a.status("extra").state).toBe("running");
    expect(a.status("leader").state).toBe("stopped");

    // b's row counts it as a candidate now, for placement on every node.
    const rows = await inspectManager(b).store?.cluster.listNodes(Date.now(), FAST.nodeTtl);
    expect(rows?.map((n) => [n.id, n.candidates])).toEqual([
      ["node-a", ["extra"]],
      ["node-b", ["extra"]],
    ]);
    const seen = await nodesOf(b);
    expect(seen.map((n) => [n.id, n.holds.map((h) => [h.name, h.token])])).toEqual([
      ["node-a", [["extra", 1]]],
      ["node-b", []],
    ]);

    // b is a real candidate: when a leaves, b takes the lease over within a second.
    await a.shutdown();
    await until("b runs extra", () => b.status("extra").state === "running", 1_500);
    const after = await nodesOf(b);
    expect(after.find((n) => n.id === "node-b")?.holds).toMatchObject([
      { name: "extra", token: 2 },
    ]);
  });

  it("joins placement next to the selected cluster daemons, and a stop by hand gives it back", async () => {
    const store = sharedStore();
    const a = node(store, "node-a", ["leader", "local"]);
    await a.start({ profile: "plain" });
    expect(a.status("leader").state).toBe("running");

    await a.startDaemon("extra");
    await until("extra runs on a", () => a.status("extra").state === "running");
    expect(a.status("leader").state).toBe("running");

    await a.stopDaemon("extra");
    expect(a.status("extra").state).toBe("stopped");
    await until("a no longer holds extra", async () => {
      const self = (await nodesOf(a)).find((n) => n.id === "node-a");
      return self?.holds.map((h) => h.name).join() === "leader";
    });
  });
});
