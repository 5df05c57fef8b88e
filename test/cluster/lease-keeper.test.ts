import { afterEach, describe, expect, it } from "vitest";
import { clusterTimings } from "../../src/cluster/defaults.js";
import type { DaemonLease, LeaseLossReason } from "../../src/cluster/lease.js";
import {
  createLeaseKeeper,
  type LeaseKeeper,
  type LeaseStore,
} from "../../src/cluster/lease-keeper.js";
import { type Clock, createManualClock, type ManualClock } from "../../src/internal/clock.js";
import type { ClusterStore } from "../../src/store/cluster-types.js";
import { memoryClusterMethods } from "../../src/store/memory-cluster.js";

const timings = clusterTimings();
const DAEMONS = ["a", "b", "c", "d"];

/** A store whose answers can be held back (a hung connection) and whose calls are counted. */
function controllable(inner: ClusterStore) {
  let hung = false;
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, key: string) {
      const fn = (target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[key];
      if (typeof fn !== "function") return fn;
      return (...args: unknown[]) => {
        calls[key] = (calls[key] ?? 0) + 1;
        return hung ? new Promise(() => {}) : fn.apply(target, args);
      };
    },
  });
  return {
    store: store as LeaseStore,
    calls,
    hang: () => {
      hung = true;
    },
  };
}

interface Node {
  id: string;
  keeper: LeaseKeeper;
  running: Map<string, DaemonLease>;
  lost: [string, LeaseLossReason, number][];
}

describe("createLeaseKeeper (manual clock)", () => {
  let clock: ManualClock;
  let shared: ClusterStore;
  const keepers: LeaseKeeper[] = [];
  const listeners = new Set<() => void>();

  const node = async (
    id: string,
    options: { store?: LeaseStore; clock?: Clock; candidates?: string[] } = {},
  ): Promise<Node> => {
    const candidates = options.candidates ?? DAEMONS;
    await shared.joinNode(
      { id, host: "h", pid: 1, profile: null, url: null, instance: id, candidates },
      { now: clock.now(), nodeTtl: timings.nodeTtl },
    );
    const running = new Map<string, DaemonLease>();
    const lost: Node["lost"] = [];
    const keeper = createLeaseKeeper({
      store: options.store ?? shared,
      node: id,
      clock: options.clock ?? clock,
      timings,
      candidates,
      onAcquired: (name, lease) => running.set(name, lease),
      onLost: (name, reason) => {
        running.delete(name);
        lost.push([name, reason, clock.now()]);
      },
      wake: {
        listen: async (fn) => {
          listeners.add(fn);
          return async () => {
            listeners.delete(fn);
          };
        },
        notify: async () => {
          for (const fn of listeners) queueMicrotask(fn);
        },
      },
    });
    keepers.push(keeper);
    await keeper.start();
    return { id, keeper, running, lost };
  };

  const beat = async (...ids: string[]) => {
    for (const id of ids) await shared.heartbeatNode(id, id, clock.now());
  };

  const setup = () => {
    clock = createManualClock();
    shared = memoryClusterMethods();
  };

  afterEach(async () => {
    for (const k of keepers.splice(0)) await k.stop();
    listeners.clear();
  });

  it("a lone node acquires every daemon it may run, with token 1 and ctx.lease held", async () => {
    setup();
    const n1 = await node("n1");
    expect([...n1.running.keys()].sort()).toEqual(DAEMONS);
    const lease = n1.running.get("a");
    expect(lease).toMatchObject({ token: 1, holder: "n1" });
    expect(lease?.held()).toBe(true);
    expect(lease?.expiresAt).toBe(clock.now() + timings.leaseTtl);
  });

  it("renews all of a node's leases with one statement per renewInterval", async () => {
    setup();
    const counted = controllable(shared);
    const n1 = await node("n1", { store: counted.store });
    const before = counted.calls.renewLeases ?? 0;
    for (let i = 0; i < 10; i++) {
      await beat("n1");
      await clock.advance(timings.renewInterval);
    }
    expect((counted.calls.renewLeases ?? 0) - before).toBe(10);
    expect(n1.running.size).toBe(4);
    expect(n1.lost).toEqual([]);
  });

  it("a node that wants no cluster daemon (none selected or started by hand) reads nothing", async () => {
    setup();
    const counted = controllable(shared);
    await node("n1", { store: counted.store, candidates: [] });
    for (let i = 0; i < 5; i++) await clock.advance(timings.renewInterval);
    expect(counted.calls).toEqual({});
  });

  it("4 daemons on 2 nodes: 2 + 2, and nothing moves while both are healthy", async () => {
    setup();
    const n1 = await node("n1");
    const n2 = await node("n2");
    for (let i = 0; i < 6; i++) {
      await beat("n1", "n2");
      await clock.advance(timings.renewInterval);
    }
    expect(n1.running.size).toBe(2);
    expect(n2.running.size).toBe(2);
    const placed = new Map([...n1.running, ...n2.running].map(([n, l]) => [n, l.token]));
    for (let i = 0; i < 10; i++) {
      await beat("n1", "n2");
      await clock.advance(timings.renewInterval);
    }
    expect(new Map([...n1.running, ...n2.running].map(([n, l]) => [n, l.token]))).toEqual(placed);
  });

  it("an even spread over 3 nodes: a dead node's daemons move within leaseTtl + renewInterval, before its row counts as lost", async () => {
    setup();
    const six = ["a", "b", "c", "d", "e", "f"];
    const cut = controllable(shared);
    const n1 = await node("n1", { candidates: six });
    const n2 = await node("n2", { candidates: six });
    const n3 = await node("n3", { candidates: six, store: cut.store });
    for (let i = 0; i < 8; i++) {
      await beat("n1", "n2", "n3");
      await clock.advance(timings.renewInterval);
    }
    expect([n1, n2, n3].map((n) => n.running.size)).toEqual([2, 2, 2]);
    const orphans = [...n3.running.keys()];
    // n3 dies right after a heartbeat: no more renewals, no heartbeats. Its row stays live
    // until nodeTtl (15 s), longer than leaseTtl + renewInterval (13 s).
    await beat("n3");
    cut.hang();
    const diedAt = clock.now();
    const survivors = () => new Set([...n1.running.keys(), ...n2.running.keys()]);
    while (!orphans.every((d) => survivors().has(d))) {
      await beat("n1", "n2");
      await clock.advance(250);
      expect(clock.now() - diedAt).toBeLessThanOrEqual(timings.leaseTtl + timings.renewInterval);
    }
    expect(clock.now() - diedAt).toBeLessThan(timings.nodeTtl);
    expect([n1.running.size, n2.running.size]).toEqual([3, 3]);
  });

  it("a holder cut off from its store stops the daemon at its deadline, before anyone can acquire", async () => {
    setup();
    const counted = controllable(shared);
    const n1 = await node("n1", { store: counted.store, candidates: ["a"] });
    const acquiredAt = clock.now();
    const lease = n1.running.get("a") as DaemonLease;
    counted.hang();
    const n2 = await node("n2", { candidates: ["a"] });
    let takenAt = 0;
    while (!n2.running.has("a")) {
      await beat("n2");
      await clock.advance(500);
      if (n2.running.has("a")) takenAt = clock.now();
    }
    const [name, reason, stoppedAt] = n1.lost[0] ?? [];
    expect([name, reason]).toEqual(["a", "deadline"]);
    expect(lease.held()).toBe(false);
    expect(() => lease.assertHeld()).toThrow(/no longer held/);
    // The last renewal that answered was the acquisition: deadline = its send time + ttl − margin.
    expect(stoppedAt).toBe(acquiredAt + timings.leaseTtl - timings.safetyMargin);
    expect(takenAt).toBeGreaterThanOrEqual(acquiredAt + timings.leaseTtl);
    expect(takenAt - acquiredAt).toBeLessThanOrEqual(timings.leaseTtl + timings.renewInterval);
    expect(n2.running.get("a")?.token).toBe(2);
  });

  it("a stalled event loop: held() is false at once, and a renewal answered after the deadline is not trusted", async () => {
    setup();
    let stall = 0;
    const stalled: Clock = { ...clock, now: () => clock.now() + stall };
    // The loop stalls while the renewal is out: its answer ("renewed") arrives past the deadline.
    const store: LeaseStore = {
      ...shared,
      renewLeases: async (...args) => {
        const answer = await shared.renewLeases(...args);
        stall = timings.leaseTtl + 1;
        return answer;
      },
    };
    const n1 = await node("n1", { clock: stalled, store, candidates: ["a"] });
    const lease = n1.running.get("a") as DaemonLease;
    await n1.keeper.tick();
    expect(lease.held()).toBe(false);
    expect(n1.lost.map(([n, r]) => [n, r])).toEqual([["a", "deadline"]]);
    // Its lease ran out meanwhile: it may acquire it again, as a new holder with a new token.
    expect(n1.running.get("a")?.token ?? 2).toBe(2);
  });

  it("a graceful stop stops the daemon, then releases: a standby takes over at once with a greater token", async () => {
    setup();
    const n1 = await node("n1", { candidates: ["a"] });
    const n2 = await node("n2", { candidates: ["a"] });
    expect(n1.running.get("a")?.token).toBe(1);
    const stopAt = clock.now();
    await n1.keeper.stop();
    await clock.settle();
    expect(n1.lost.map(([n, r]) => [n, r])).toEqual([["a", "released"]]);
    expect(n2.running.get("a")?.token).toBe(2);
    expect(clock.now()).toBe(stopAt);
  });

  it("a lease taken elsewhere (the renewal says so) stops the daemon as lost", async () => {
    setup();
    const n1 = await node("n1", { candidates: ["a"] });
    await shared.releaseLease("a", "n1", 1);
    await shared.acquireLease("a", "intruder", timings.leaseTtl, clock.now());
    await clock.advance(timings.renewInterval);
    expect(n1.lost.map(([n, r]) => [n, r])).toEqual([["a", "lost"]]);
  });

  it("a third node joining two that hold 2 + 1 of 3 takes one, and only from the one above its share", async () => {
    setup();
    const n1 = await node("n1", { candidates: ["a", "b", "c"] });
    expect(n1.running.size).toBe(3);
    const n2 = await node("n2", { candidates: ["a", "b", "c"] });
    for (let i = 0; i < 4; i++) {
      await beat("n1", "n2");
      await clock.advance(timings.renewInterval);
    }
    expect([n1.running.size, n2.running.size].sort()).toEqual([1, 2]);
    const n3 = await node("n3", { candidates: ["a", "b", "c"] });
    for (let i = 0; i < 4; i++) {
      await beat("n1", "n2", "n3");
      await clock.advance(timings.renewInterval);
    }
    expect([n1.running.size, n2.running.size, n3.running.size]).toEqual([1, 1, 1]);
    expect(n1.lost.every(([, reason]) => reason === "released")).toBe(true);
  });
});
