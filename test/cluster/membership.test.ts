import { describe, expect, it } from "vitest";
import { clusterTimings } from "../../src/cluster/defaults.js";
import { createMembership } from "../../src/cluster/membership.js";
import { NodeIdTakenError, resolveNodeId } from "../../src/cluster/node-id.js";
import { createManualClock } from "../../src/internal/clock.js";
import { memoryClusterMethods } from "../../src/store/memory-cluster.js";

const timings = clusterTimings();
const info = (pid: number, host = "h1") => ({
  id: "h1/coordinator",
  host,
  pid,
  profile: "coordinator",
  url: null,
  candidates: ["a"],
});

describe("membership", () => {
  it("heartbeats its row every heartbeatInterval; silent for nodeTtl, it is lost", async () => {
    const clock = createManualClock();
    const store = memoryClusterMethods();
    const m = createMembership({ store, clock, timings, node: info(10) });
    await m.join();
    await clock.advance(timings.nodeTtl * 2);
    expect((await m.nodes()).map((n) => n.state)).toEqual(["live"]);
    await m.leave();
    expect((await m.nodes()).map((n) => n.state)).toEqual(["stopped"]);
    // A lost node: joined, then never heard from again.
    const other = createMembership({ store, clock, timings, node: { ...info(11), id: "x" } });
    await other.join();
    await clock.advance(0);
    const states = async () =>
      (await store.listNodes(clock.now() + timings.nodeTtl, timings.nodeTtl)).map((n) => n.state);
    expect(await states()).toEqual(["stopped", "lost"]);
  });

  it("refuses a second live process with the same node id, naming the first", async () => {
    const clock = createManualClock();
    const store = memoryClusterMethods();
    await createMembership({ store, clock, timings, node: info(10), pidAlive: () => true }).join();
    const second = createMembership({
      store,
      clock,
      timings,
      node: info(12),
      pidAlive: () => true,
    });
    await expect(second.join()).rejects.toThrow(NodeIdTakenError);
    await expect(second.join()).rejects.toThrow(/"h1\/coordinator" is already live \(pid 10 on h1/);
    // Another host's process cannot be checked: refused too, even if a pid 10 is dead here.
    const remote = createMembership({
      store,
      clock,
      timings,
      node: info(13, "h2"),
      pidAlive: () => false,
    });
    await expect(remote.join()).rejects.toThrow(NodeIdTakenError);
  });

  it("takes over the row of a dead process of this host at once, freeing its leases", async () => {
    const clock = createManualClock();
    const store = memoryClusterMethods();
    await createMembership({ store, clock, timings, node: info(10), pidAlive: () => true }).join();
    await store.acquireLease("a", "h1/coordinator", timings.leaseTtl, clock.now());
    const restarted = createMembership({
      store,
      clock,
      timings,
      node: info(20),
      pidAlive: (pid) => pid !== 10,
    });
    await restarted.join();
    expect((await restarted.nodes())[0]).toMatchObject({ pid: 20, state: "live" });
    expect(await store.acquireLease("a", "h1/coordinator", timings.leaseTtl, clock.now())).toBe(2);
  });

  it("a process whose row was taken over stops heartbeating it and is told", async () => {
    const clock = createManualClock();
    const store = memoryClusterMethods();
    let evicted = 0;
    const first = createMembership({
      store,
      clock,
      timings,
      node: info(10),
      onEvicted: () => evicted++,
    });
    await first.join();
    await store.joinNode(
      { ...info(30), instance: "other" },
      { now: clock.now(), nodeTtl: timings.nodeTtl, replace: first.instance },
    );
    await clock.advance(timings.heartbeatInterval);
    expect(evicted).toBe(1);
    expect((await first.nodes())[0]?.pid).toBe(30);
  });

  it("resolveNodeId: explicit, then the env value, then <host>/<profile>", () => {
    expect(resolveNodeId({ explicit: "n7", fromEnv: "e", host: "h", profile: "p" })).toBe("n7");
    expect(resolveNodeId({ fromEnv: "e", host: "h", profile: "p" })).toBe("e");
    expect(resolveNodeId({ host: "h", profile: "p" })).toBe("h/p");
    expect(resolveNodeId({ host: "h" })).toBe("h/all");
  });
});
