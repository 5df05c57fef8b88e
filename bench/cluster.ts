/**
 * 8. Cluster leases (DESIGN.md §8), with real node processes sharing one store (a SQLite file by
 * default; `CLUSTER_STORE=postgres` for a fresh schema on the test PostgreSQL):
 *
 * - failover after `kill -9` of the holder: from the kill to the standby's acquisition, over
 *   {@link KILLS} kills, against the bound `leaseTtl + renewInterval`;
 * - hand-over on a graceful stop (SIGTERM: the daemon stops, the lease is released, a wake-up
 *   tells the standby): from the signal to the acquisition, target < 1 s;
 * - store statements per second per node holding 50 of 100 cluster daemons, and renewal
 *   statements per `renewInterval` (target: one, whatever the number of daemons).
 *
 *   npx tsx bench/cluster.ts      npm run bench:cluster
 *
 * Timings are scaled down so 20 kills take a minute (`CLUSTER_TIMINGS=default` uses the real
 * defaults: 3 s / 10 s); the ratios to the bound do not depend on the scale.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLUSTER_DEFAULTS } from "../src/cluster/defaults.js";
import { FAST, type NodeProcess, nodeCluster } from "../test/cluster/helpers/node-process.js";
import { testDatabase } from "../test/store/helpers/databases.js";
import { type Benchmark, percentile, row, runIfMain, sleepMs } from "./lib.js";

const KILLS = Number(process.env.KILLS ?? 20);
const STOPS = Number(process.env.STOPS ?? 10);
const DAEMONS = 100;
const timings =
  process.env.CLUSTER_TIMINGS === "default"
    ? { ...CLUSTER_DEFAULTS }
    : { ...FAST, renewInterval: 500, leaseTtl: 2_000, safetyMargin: 500, nodeTtl: 3_000 };
const BOUND = timings.leaseTtl + timings.renewInterval;

const benchmark: Benchmark = {
  name: "cluster",
  title: `Cluster leases (${process.env.CLUSTER_STORE ?? "sqlite"}, renew ${timings.renewInterval} ms, lease ${timings.leaseTtl} ms)`,
  async run() {
    const database = testDatabase(process.env.CLUSTER_STORE === "postgres" ? "postgres" : "sqlite");
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-cluster-"));
    const base = {
      STORE_URL: database.url,
      PG_SCHEMA: (database.options.schema as string | undefined) ?? "",
      CYCLES_FILE: join(dir, "cycles.log"),
      TIMINGS: JSON.stringify(timings),
    };
    // Failover and hand-over through the manager; statements counted on the keeper alone.
    const cluster = nodeCluster(base, "manager");
    const keepers = nodeCluster(base, "keeper");
    const acquired = (after: number) =>
      cluster.waitFor((l) => l.words[0] === "acquired" && l.at > after, BOUND * 3);
    try {
      // Failover after kill -9, and hand-over on SIGTERM: two nodes, one daemon.
      const procs = new Map<string, NodeProcess>();
      for (const id of ["n1", "n2"]) procs.set(id, await cluster.spawn(id, { DAEMONS: "a" }));
      let holder = (await acquired(0)).node;
      const measure = async (signal: NodeJS.Signals, times: number) => {
        const samples: number[] = [];
        for (let i = 0; i < times; i++) {
          await sleepMs(timings.renewInterval * 2);
          const proc = procs.get(holder) as NodeProcess;
          const at = Date.now();
          proc.kill(signal);
          const next = await acquired(at);
          samples.push(next.at - at);
          await proc.exited;
          procs.set(holder, await cluster.spawn(holder, { DAEMONS: "a" }));
          holder = next.node;
        }
        return samples;
      };
      const failover = await measure("SIGKILL", KILLS);
      const handover = await measure("SIGTERM", STOPS);
      await cluster.stopAll();

      // Statements with 100 cluster daemons on 2 nodes.
      const window = timings.renewInterval * 10;
      const names = Array.from({ length: DAEMONS }, (_, i) => `d${i}`).join(",");
      const env = {
        DAEMONS: names,
        STATS_AFTER: String(timings.renewInterval * 20),
        STATS_WINDOW: String(window),
      };
      const statsFrom = Date.now();
      await keepers.spawn("s1", env);
      await keepers.spawn("s2", env);
      const stats = await Promise.all(
        ["s1", "s2"].map((id) =>
          keepers.waitFor(
            (l) => l.node === id && l.words[0] === "stats" && l.at > statsFrom,
            timings.renewInterval * 20 + window * 3,
          ),
        ),
      );
      const perNode = stats.map(
        (s) => JSON.parse(s.words[1] as string) as { during: Record<string, number>; held: number },
      );
      const total = (d: Record<string, number>) => Object.values(d).reduce((a, b) => a + b, 0);
      const perSecond = perNode.map((p) => total(p.during) / (window / 1000));
      const renewalsPerInterval = perNode.map(
        (p) => (p.during.renewLeases ?? 0) / (window / timings.renewInterval),
      );

      const ms = (values: number[], q: number) => percentile(values, q);
      return {
        rows: [
          row({
            metric: `failover after kill -9, p50 (${KILLS} kills)`,
            figure: ms(failover, 0.5),
            unit: "ms",
            baseline: BOUND,
            baselineLabel: "leaseTtl + renewInterval",
            target: { on: "ratio", kind: "max", value: 1, label: "≤ bound" },
          }),
          row({
            metric: "failover after kill -9, p99",
            figure: ms(failover, 0.99),
            unit: "ms",
            baseline: BOUND,
            baselineLabel: "leaseTtl + renewInterval",
            target: { on: "ratio", kind: "max", value: 1, label: "≤ bound" },
          }),
          row({
            metric: `hand-over on graceful stop, p50 (${STOPS} stops)`,
            figure: ms(handover, 0.5),
            unit: "ms",
            target: { on: "figure", kind: "max", value: 1000, label: "< 1 s" },
          }),
          row({
            metric: "hand-over on graceful stop, p99",
            figure: ms(handover, 0.99),
            unit: "ms",
            target: { on: "figure", kind: "max", value: 1000, label: "< 1 s" },
          }),
          row({
            metric: `renewal statements per renewInterval per node (${DAEMONS} daemons)`,
            figure: Math.max(...renewalsPerInterval),
            unit: "",
            target: { on: "figure", kind: "max", value: 1.05, label: "1" },
          }),
          row({
            metric: "store statements per second per node (all kinds)",
            figure: Math.max(...perSecond),
            unit: "/s",
          }),
        ],
        details: {
          timings,
          failoverMs: failover,
          handoverMs: handover,
          statementsPerNode: perNode,
        },
      };
    } finally {
      await cluster.stopAll();
      await keepers.stopAll();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
