/**
 * What a bulk launch costs: `launchMany` of COUNT no-op jobs in batches of 1000, ROUNDS times, on
 * a fresh PostgreSQL schema (or SQLite file). Prints per round the ms, and process and database
 * CPU per job. With PROBE_IDLE=1 the workers run (started and idle first, as bench/jobs.ts's idle
 * phase): each round then waits for its jobs to complete, and also prints when each launch
 * returned with how many had completed by then (`marks`), and the worker's round trips.
 *
 *   [PROBE_IDLE=1] npx tsx bench/launch-probe.ts [postgres|sqlite] [COUNT=10000] [ROUNDS=3]
 */
import { createStore } from "../src/index.js";
import { backendCpu, cpuBetween, queriesSent } from "./pg-backend-cpu.js";
import { noopService, probeTarget } from "./probe-target.js";

const kind = process.argv[2] ?? "postgres";
const COUNT = Number(process.argv[3] ?? 10_000);
const ROUNDS = Number(process.argv[4] ?? 3);
const where = probeTarget(kind);
const store = createStore(where.url, { pollIntervalMs: 10 });
await store.open();
const service = noopService(store);
const jobs = service.forDaemon("probe");
const trips = { n: 0, claims: 0, claimed: 0, finished: 0, empty: 0 };
const fac = store.finishAndClaimJobs.bind(store);
store.finishAndClaimJobs = async (w, outcomes, claim, now) => {
  const r = await fac(w, outcomes, claim, now);
  trips.n++;
  trips.finished += outcomes.length;
  if (claim) {
    trips.claims++;
    trips.claimed += r.claimed.length;
    if (r.claimed.length === 0) trips.empty++;
  }
  return r;
};
const IDLE = process.env.PROBE_IDLE === "1";
let completed = 0;
let target = 0;
let allDone: () => void = () => {};
service.on("status", (u) => {
  if (u.status === "completed" && ++completed === target) allDone();
});
if (IDLE) {
  await service.start();
  await new Promise((r) => setTimeout(r, 200));
}
for (let r = 0; r < ROUNDS; r++) {
  target = completed + COUNT;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const marks: string[] = [];
  const q0 = queriesSent();
  Object.assign(trips, { n: 0, claims: 0, claimed: 0, finished: 0, empty: 0 });
  const db0 = backendCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i += 1000)
    await jobs
      .launchMany(
        "noop",
        Array.from({ length: Math.min(1000, COUNT - i) }, (_, k) => ({ n: i + k })),
        { reason: "probe" },
      )
      .then((ids) => {
        marks.push(`${Math.round(performance.now() - t0)}ms:${completed - (target - COUNT)}`);
        return ids;
      });
  const launchMs = performance.now() - t0;
  if (IDLE) await done;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const dbMs = cpuBetween(db0, backendCpu());
  console.log(
    JSON.stringify({
      kind,
      count: COUNT,
      ms: Math.round(ms),
      launchMs: Math.round(launchMs),
      queriesPerJob: +((queriesSent() - q0) / COUNT).toFixed(3),
      ...(IDLE ? { marks: marks.join(" "), ...trips } : {}),
      nodeCpuUsPerJob: +((cpu.user + cpu.system) / COUNT).toFixed(1),
      dbCpuUsPerJob: +((dbMs * 1000) / COUNT).toFixed(1),
    }),
  );
}
await service.stop();
await store.close();
await where.cleanup();
process.exit(0);
