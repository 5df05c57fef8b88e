/**
 * One contender of the jobs benchmark (bench/jobs.ts) in one workload, in a process of its own:
 *
 *   jobs-child.ts PHASE ringmaster STORE_URL COUNT   createJobService over createStore(STORE_URL)
 *   jobs-child.ts PHASE pg-boss    PG_URL SCHEMA COUNT
 *   jobs-child.ts PHASE graphile   PG_URL SCHEMA COUNT   (defaults)
 *   jobs-child.ts PHASE graphile-lq PG_URL SCHEMA COUNT  (localQueue, batched completions)
 *   jobs-child.ts PHASE bare       PG_URL SCHEMA COUNT   (the SKIP LOCKED loop)
 *
 * PHASE is `launch`, `drain` or `idle` (see bench/jobs-peers.ts). It prints one JSON line: jobs per
 * second from the start of the timed part to the last completion, and how long the launches took.
 */
import { hostname } from "node:os";
import { pino } from "pino";
import { createJobService, createStore, defineJob, systemClock } from "../src/index.js";
import {
  CONCURRENCY,
  launchAll,
  type Phase,
  runBare,
  runGraphile,
  runPgBoss,
  TYPE,
  timed,
} from "./jobs-peers.js";

const TIMEOUT_MS = 180_000;
const [phase, contender, ...rest] = process.argv.slice(2) as [Phase, string, ...string[]];
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function runRingmaster(url: string, count: number) {
  const store = createStore(url, { pollIntervalMs: 10 });
  await store.open();
  const service = createJobService({
    store,
    clock: systemClock,
    jobs: [defineJob({ type: TYPE, concurrency: CONCURRENCY, run: () => {} })],
    node: { id: `bench-${process.pid}`, host: hostname(), pid: process.pid, profile: null },
    logger: pino({ level: "silent" }),
  });
  let completed = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  service.on("status", (update) => {
    if (update.status === "completed" && ++completed === count) allDone();
  });
  const jobs = service.forDaemon("bench");
  // Older ringmasters (the baseline) have no launchMany: their bulk launch is the launch loops.
  const many = "launchMany" in jobs ? jobs.launchMany : undefined;
  const bulk = async () => {
    if (!many) return launchAll(count, (n) => jobs.launch(TYPE, { n }, { reason: "bench" }));
    for (let i = 0; i < count; i += 1000) {
      const n = Math.min(1000, count - i);
      await many(
        TYPE,
        Array.from({ length: n }, (_, k) => ({ n: i + k })),
        { reason: "bench" },
      );
    }
  };
  const timer = setTimeout(() => {
    console.error(`ringmaster: only ${completed} of ${count} jobs completed`);
    process.exit(3);
  }, TIMEOUT_MS);
  const out = await timed(
    phase,
    count,
    {
      queue: bulk,
      launchBulk: bulk,
      launchOne: (n) => jobs.launch(TYPE, { n }, { reason: "bench" }),
      startWorkers: () => service.start(),
      completed: () => done,
    },
    { concurrency: CONCURRENCY, bulk: many ? "launchMany ×1000" : "launch loops" },
  );
  clearTimeout(timer);
  await service.stop();
  await store.close();
  return out;
}

const numberArg = (text: string | undefined) => Number(text);
switch (contender) {
  case "ringmaster":
    print(await runRingmaster(rest[0] as string, numberArg(rest[1])));
    break;
  case "pg-boss":
    print(await runPgBoss(phase, rest[0] as string, rest[1] as string, numberArg(rest[2])));
    break;
  case "graphile":
  case "graphile-lq":
    print(
      await runGraphile(
        phase,
        rest[0] as string,
        rest[1] as string,
        numberArg(rest[2]),
        contender === "graphile-lq",
      ),
    );
    break;
  case "bare":
    print(await runBare(phase, rest[0] as string, rest[1] as string, numberArg(rest[2])));
    break;
  default:
    throw new Error(`unknown contender ${contender}`);
}
process.exit(0);
