/**
 * The store's own cost per job, without a worker: COUNT pending jobs on a fresh PostgreSQL schema
 * (or SQLite file), then one connection's loop of `finishAndClaimJobs` (the previous batch's
 * outcomes with the next claim of BATCH) until none is left. Prints µs per job and statements.
 *
 *   npx tsx bench/jobs-sql-probe.ts [postgres|sqlite] [COUNT=10000] [BATCH=200]
 *
 * PROBE_SQL (PostgreSQL): statements run in the schema after its migrations (index experiments).
 */
import { randomUUID } from "node:crypto";
import { createStore } from "../src/index.js";
import { backendCpu, cpuBetween } from "./pg-backend-cpu.js";
import { admin, probeTarget } from "./probe-target.js";

const kind = process.argv[2] ?? "postgres";
const COUNT = Number(process.argv[3] ?? 10_000);
const BATCH = Number(process.argv[4] ?? 200);
const target = probeTarget(kind);
const { url, schema } = target;

const store = createStore(url);
await store.open();
if (process.env.PROBE_SQL && kind !== "sqlite")
  await admin(`set search_path to "${schema}"; ${process.env.PROBE_SQL}`);
const now = Date.now();
for (let i = 0; i < COUNT; i += 1000) {
  await store.launchJobs(
    Array.from({ length: Math.min(1000, COUNT - i) }, (_, k) => ({
      job: {
        id: randomUUID(),
        type: "noop",
        payload: { n: i + k },
        priority: 0,
        maxAttempts: 3,
        runAt: now,
        dedupKey: null,
        launchedBy: "probe",
        reason: "probe",
        now,
      },
      action: { daemon: "probe", action: "launched", reason: "probe", at: now, node: "probe" },
    })),
  );
}
const worker = "probe-worker";
let outcomes: { id: string; outcome: { status: "completed"; result: null } }[] = [];
let statements = 0;
let done = 0;
const cpu0 = backendCpu();
const node0 = process.cpuUsage();
const t0 = performance.now();
for (;;) {
  const t = Date.now();
  const { claimed } = await store.finishAndClaimJobs(
    worker,
    outcomes,
    { slots: { noop: BATCH }, worker, leaseMs: 10_000, now: t },
    t,
  );
  statements += Math.max(1, Math.ceil(outcomes.length / 100));
  done += outcomes.length;
  outcomes = claimed.map((job) => ({ id: job.id, outcome: { status: "completed", result: null } }));
  if (claimed.length === 0) break;
}
const ms = performance.now() - t0;
const dbMs = cpuBetween(cpu0, backendCpu());
const nodeCpu = process.cpuUsage(node0);
console.log(
  JSON.stringify({
    kind,
    count: COUNT,
    batch: BATCH,
    done,
    usPerJob: Math.round((ms * 1000) / COUNT),
    dbCpuUsPerJob: Math.round((dbMs * 1000) / COUNT),
    nodeCpuUsPerJob: Math.round((nodeCpu.user + nodeCpu.system) / COUNT),
    statements,
    indexes: process.env.PROBE_SQL ? "changed" : "as migrated",
  }),
);
await store.close();
await target.cleanup();
process.exit(0);
