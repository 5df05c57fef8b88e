import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import {
  type DatabaseKind,
  PG_HOST,
  PG_PORT,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "../store/helpers/databases.js";
import { type Cluster, FAST, nodeCluster, overlaps, readCycles } from "./helpers/node-process.js";

// Real node processes sharing one database: a SQLite file, and a PostgreSQL schema.
const pg = await postgresAvailable();
const kinds: DatabaseKind[] = ["sqlite"];
if (pg) kinds.push("postgres");

/** What a loaded 2-core machine adds to a bound (process scheduling, tsx start-up not included). */
const SLACK = 400;
const FAILOVER_BOUND = FAST.leaseTtl + FAST.renewInterval;

// Each test spawns node processes (tsx start-up): seconds each on a loaded machine.
const SUITE_TIMEOUT = 90_000;

describe.each(kinds)("leases across node processes (%s)", { timeout: SUITE_TIMEOUT }, (kind) => {
  let database: TestDatabase;
  let dir: string;
  let cycles: string;
  let cluster: Cluster;

  beforeEach(() => {
    database = testDatabase(kind);
    dir = mkdtempSync(join(tmpdir(), "ringmaster-cluster-"));
    cycles = join(dir, "cycles.log");
    cluster = nodeCluster({
      STORE_URL: database.url,
      PG_SCHEMA: (database.options.schema as string | undefined) ?? "",
      CYCLES_FILE: cycles,
    });
  });

  afterEach(async () => {
    await cluster.stopAll();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const holderOf = (daemon: string, after = 0) =>
    cluster.waitFor((l) => l.words[0] === "acquired" && l.words[1] === daemon && l.at > after);

  it("three nodes, holders killed and stopped in turn: no two holders' cycles overlap, tokens only grow", async () => {
    const procs = new Map<string, Awaited<ReturnType<Cluster["spawn"]>>>();
    for (const id of ["n1", "n2", "n3"]) procs.set(id, await cluster.spawn(id, { DAEMONS: "a" }));
    let since = 0;
    for (const signal of ["SIGKILL", "SIGTERM", "SIGKILL"] as const) {
      const holder = await holderOf("a", since);
      await new Promise((resolve) => setTimeout(resolve, 300));
      since = Date.now();
      procs.get(holder.node)?.kill(signal);
      await procs.get(holder.node)?.exited;
      procs.set(holder.node, await cluster.spawn(holder.node, { DAEMONS: "a" }));
    }
    await holderOf("a", since);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = readCycles(cycles);
    expect(new Set(all.map((c) => c.token)).size).toBeGreaterThanOrEqual(4);
    expect(overlaps(all)).toEqual([]);
    const byStart = [...all].sort((a, b) => a.start - b.start).map((c) => c.token);
    expect(byStart).toEqual([...byStart].sort((a, b) => a - b));
  });

  it("kill -9 of the holder: another node runs it within leaseTtl + renewInterval, with a greater token", async () => {
    const n1 = await cluster.spawn("n1", { DAEMONS: "a" });
    const first = await holderOf("a");
    expect(first.node).toBe("n1");
    await cluster.spawn("n2", { DAEMONS: "a" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const killedAt = Date.now();
    n1.kill("SIGKILL");
    const next = await holderOf("a", killedAt);
    expect(next.node).toBe("n2");
    expect(Number(next.words[2])).toBeGreaterThan(Number(first.words[2]));
    expect(next.at - killedAt).toBeLessThanOrEqual(FAILOVER_BOUND + SLACK);
  });

  it("a graceful stop hands the lease over in under a second", async () => {
    const n1 = await cluster.spawn("n1", { DAEMONS: "a" });
    await holderOf("a");
    await cluster.spawn("n2", { DAEMONS: "a" });
    const stopAt = Date.now();
    n1.kill("SIGTERM");
    const next = await holderOf("a", stopAt);
    expect(next.node).toBe("n2");
    const released = await cluster.waitFor((l) => l.node === "n1" && l.words[0] === "lost");
    expect(released.words[2]).toBe("released");
    expect(next.at).toBeGreaterThanOrEqual(released.at);
    expect(next.at - stopAt).toBeLessThan(1_000);
    expect(overlaps(readCycles(cycles))).toEqual([]);
  });

  it("4 cluster daemons on 2 nodes are placed 2 + 2", async () => {
    await cluster.spawn("n1", { DAEMONS: "a,b,c,d" });
    await cluster.spawn("n2", { DAEMONS: "a,b,c,d" });
    const settled = async () => {
      for (let i = 0; i < 50; i++) {
        const held = new Map<string, string>();
        for (const l of cluster.lines) {
          if (l.words[0] === "acquired") held.set(l.words[1] as string, l.node);
          if (l.words[0] === "lost" && held.get(l.words[1] as string) === l.node)
            held.delete(l.words[1] as string);
        }
        const counts: Record<string, number> = {};
        for (const n of held.values()) counts[n] = (counts[n] ?? 0) + 1;
        if (counts.n1 === 2 && counts.n2 === 2) return counts;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(
        `not 2 + 2: ${cluster.lines.map((l) => `${l.node} ${l.words.join(" ")}`).join("; ")}`,
      );
    };
    expect(await settled()).toEqual({ n1: 2, n2: 2 });
  });
});

describe.runIf(pg)(
  "a holder cut off from PostgreSQL by a proxy",
  { timeout: SUITE_TIMEOUT },
  () => {
    let database: TestDatabase;
    let dir: string;
    let cycles: string;
    let cluster: Cluster;
    let proxy: TcpProxy;

    beforeEach(async () => {
      database = testDatabase("postgres");
      dir = mkdtempSync(join(tmpdir(), "ringmaster-cluster-"));
      cycles = join(dir, "cycles.log");
      proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
      cluster = nodeCluster({
        STORE_URL: database.url,
        PG_SCHEMA: database.options.schema as string,
        CYCLES_FILE: cycles,
        DAEMONS: "a",
      });
    });

    afterEach(async () => {
      await cluster.stopAll();
      await proxy.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const failure of ["hang", "cut"] as const) {
      it(`${failure}: the holder stops before the new holder starts`, async () => {
        await cluster.spawn("cut", { PG_PORT: String(proxy.port) });
        const first = await cluster.waitFor((l) => l.words[0] === "acquired");
        expect(first.node).toBe("cut");
        await cluster.spawn("direct", {});
        await new Promise((resolve) => setTimeout(resolve, 300));
        const failedAt = Date.now();
        proxy[failure]();
        const taken = await cluster.waitFor(
          (l) => l.node === "direct" && l.words[0] === "acquired",
        );
        const stopped = await cluster.waitFor((l) => l.node === "cut" && l.words[0] === "lost");
        expect(stopped.words[2]).toBe("deadline");
        expect(stopped.at).toBeLessThan(taken.at);
        expect(taken.at - failedAt).toBeLessThanOrEqual(FAILOVER_BOUND + SLACK);
        expect(Number(taken.words[2])).toBeGreaterThan(Number(first.words[2]));
        expect(overlaps(readCycles(cycles))).toEqual([]);
      });
    }
  },
);
