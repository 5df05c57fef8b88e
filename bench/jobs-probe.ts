/**
 * Where a ringmaster drain's database time goes: queues COUNT no-op jobs on a fresh PostgreSQL
 * schema (or SQLite file), drains them with a job service as bench/jobs-child.ts does, and prints
 * jobs/s, the CPU per job of the process, of its main thread and of its other threads (SQLite's
 * job thread among them), the round trips (queries sent by the pg driver) per job during the
 * drain, and the table work per job (`pg_stat_user_tables`: updates, HOT updates, inserts).
 *
 *   npx tsx bench/jobs-probe.ts [postgres|sqlite] [COUNT=10000]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import pg from "pg";
import { createStore } from "../src/index.js";
import { backendCpu, cpuBetween, queriesSent } from "./pg-backend-cpu.js";
import { noopService, PG_URL, probeTarget } from "./probe-target.js";

const kind = process.argv[2] ?? "postgres";
const COUNT = Number(process.argv[3] ?? 10_000);
const target = probeTarget(kind);
const { url, schema } = target;

const stats = async () => {
  if (kind === "sqlite") return { upd: 0, hot: 0, ins: 0 };
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const r = await c.query(
    "select coalesce(sum(n_tup_upd),0)::int upd, coalesce(sum(n_tup_hot_upd),0)::int hot, coalesce(sum(n_tup_ins),0)::int ins from pg_stat_user_tables where schemaname = $1",
    [schema],
  );
  await c.end();
  return r.rows[0] as { upd: number; hot: number; ins: number };
};

/**
 * CPU time (µs) of this process's main thread and of all its threads, from each thread's
 * `schedstat` (nanoseconds on the CPU): SQLite's job thread (and V8's helpers) apart from the
 * event loop's thread, which is what a drain's wall time follows when a core is free.
 */
const threadCpu = () => {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      all += ns / 1000;
      if (Number(tid) === process.pid) main = ns / 1000;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return { all, main };
};

const store = createStore(url, { pollIntervalMs: 10 });
await store.open();
if (process.env.PROBE_SQL && kind !== "sqlite") {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`set search_path to "${schema}"; ${process.env.PROBE_SQL}`);
  await c.end();
}
let completed = 0;
let allDone!: () => void;
const done = new Promise<void>((resolve) => (allDone = resolve));
const service = noopService(store);
let lastAt = 0;
let maxGap = 0;
service.on("status", (u) => {
  if (u.status !== "completed") return;
  const at = performance.now();
  if (lastAt > 0) maxGap = Math.max(maxGap, at - lastAt);
  lastAt = at;
  if (++completed === COUNT) allDone();
});
const jobs = service.forDaemon("probe");
for (let i = 0; i < COUNT; i += 1000)
  await jobs.launchMany(
    "noop",
    Array.from({ length: Math.min(1000, COUNT - i) }, (_, k) => ({ n: i + k })),
    { reason: "probe" },
  );
await new Promise((r) => setTimeout(r, 1500)); // pg_stat counters are flushed at intervals
const before = await stats();
const session = process.env.PROBE_PROF ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
}
const q0 = queriesSent();
const db0 = backendCpu();
const cpu0 = process.cpuUsage();
const threads0 = threadCpu();
const t0 = performance.now();
await service.start();
await done;
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const threads1 = threadCpu();
const q = queriesSent() - q0;
if (session) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(process.env.PROBE_PROF as string, JSON.stringify(profile));
}
const dbMs = cpuBetween(db0, backendCpu());
await service.stop();
await store.close();
await new Promise((r) => setTimeout(r, 1500));
const after = await stats();
const per = (n: number) => (n / COUNT).toFixed(2);
console.log(
  JSON.stringify({
    kind,
    count: COUNT,
    jobsPerSecond: Math.round((COUNT / ms) * 1000),
    ms: Math.round(ms),
    maxGapMs: Math.round(maxGap),
    nodeCpuUsPerJob: Math.round((cpu.user + cpu.system) / COUNT),
    mainThreadCpuUsPerJob: Math.round((threads1.main - threads0.main) / COUNT),
    otherThreadsCpuUsPerJob: Math.round(
      (threads1.all - threads1.main - (threads0.all - threads0.main)) / COUNT,
    ),
    dbCpuUsPerJob: Math.round((dbMs * 1000) / COUNT),
    queriesPerJob: per(q),
    jobsPerQuery: (COUNT / q).toFixed(1),
    updatesPerJob: per(after.upd - before.upd),
    hotPerJob: per(after.hot - before.hot),
    insertsPerJob: per(after.ins - before.ins),
  }),
);
await target.cleanup();
process.exit(0);
