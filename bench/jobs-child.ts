/**
 * One contender of the jobs benchmark (bench/jobs.ts), in a process of its own:
 *
 *   jobs-child.ts ringmaster   STORE_URL COUNT   createJobService over createStore(STORE_URL)
 *   jobs-child.ts pg-boss     PG_URL SCHEMA COUNT
 *   jobs-child.ts graphile    PG_URL SCHEMA COUNT
 *
 * Each starts its workers (concurrency {@link CONCURRENCY}, a no-op handler), then launches COUNT
 * jobs from {@link LAUNCHERS} concurrent launch loops (one job per call: ringmaster has no batch
 * launch API, so no caller batches; ringmaster's service group-commits concurrent launches
 * internally), and waits until every job is recorded as completed. It prints
 * one JSON line: jobs per second from the first launch to the last completion, and how long the
 * launches alone took.
 */
import { hostname } from "node:os";
import { Logger as GraphileLogger, run as graphileRun } from "graphile-worker";
import pg from "pg";
import PgBoss from "pg-boss";
import { pino } from "pino";
import { createJobService, createStore, defineJob, systemClock } from "../src/index.js";

export const CONCURRENCY = 10;
export const LAUNCHERS = 10;
/** pg-boss fetches a batch per poll; its minimum polling interval is 0.5 s. */
export const PGBOSS_BATCH = 100;
const POLL_MS = 10;
const TIMEOUT_MS = 120_000;
const TYPE = "bench_noop";

const [contender, ...rest] = process.argv.slice(2) as [string, ...string[]];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** Runs LAUNCHERS loops that together call `launch(n)` for n = 1..count. */
async function launchAll(count: number, launch: (n: number) => Promise<unknown>) {
  let next = 1;
  await Promise.all(
    Array.from({ length: LAUNCHERS }, async () => {
      while (next <= count) await launch(next++);
    }),
  );
}

/** Polls `completed()` until it reaches `count`. */
async function until(count: number, completed: () => Promise<number>) {
  const deadline = performance.now() + TIMEOUT_MS;
  for (;;) {
    const n = await completed();
    if (n >= count) return;
    if (performance.now() > deadline) throw new Error(`only ${n} of ${count} jobs completed`);
    await sleep(POLL_MS);
  }
}

const report = (count: number, t0: number, launched: number, done: number, extra = {}) =>
  print({
    count,
    jobsPerSecond: (count / (done - t0)) * 1000,
    launchMs: launched - t0,
    totalMs: done - t0,
    ...extra,
  });

switch (contender) {
  case "ringmaster": {
    const [url, countText] = rest as [string, string];
    const count = Number(countText);
    const store = createStore(url, { pollIntervalMs: 10 });
    await store.open();
    const service = createJobService({
      store,
      clock: systemClock,
      jobs: [defineJob({ type: TYPE, concurrency: CONCURRENCY, run: () => {} })],
      node: { id: `bench-${process.pid}`, host: hostname(), pid: process.pid, profile: null },
      logger: pino({ level: "silent" }),
    });
    const completed = new Set<string>();
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    service.on("status", (update) => {
      if (update.status !== "completed") return;
      completed.add(update.id);
      if (completed.size === count) allDone();
    });
    await service.start();
    const jobs = service.forDaemon("bench");
    const t0 = performance.now();
    await launchAll(count, (n) => jobs.launch(TYPE, { n }, { reason: "bench" }));
    const launched = performance.now();
    const timer = setTimeout(() => {
      console.error(`ringmaster: only ${completed.size} of ${count} jobs completed`);
      process.exit(3);
    }, TIMEOUT_MS);
    await done;
    const finished = performance.now();
    clearTimeout(timer);
    await service.stop();
    await store.close();
    report(count, t0, launched, finished, { concurrency: CONCURRENCY });
    break;
  }
  case "pg-boss": {
    const [url, schema, countText] = rest as [string, string, string];
    const count = Number(countText);
    const boss = new PgBoss({ connectionString: url, schema, max: 10 });
    boss.on("error", (error) => console.error("pg-boss:", error.message));
    await boss.start();
    await boss.createQueue(TYPE);
    // CONCURRENCY workers, each fetching up to PGBOSS_BATCH jobs per poll.
    for (let i = 0; i < CONCURRENCY; i++)
      await boss.work(
        TYPE,
        { batchSize: PGBOSS_BATCH, pollingIntervalSeconds: 0.5 },
        async () => {},
      );
    const counter = new pg.Client({ connectionString: url });
    await counter.connect();
    const t0 = performance.now();
    await launchAll(count, (n) => boss.send(TYPE, { n }));
    const launched = performance.now();
    await until(count, async () => {
      const r = await counter.query(
        `select count(*)::int as n from "${schema}".job where name = $1 and state = 'completed'`,
        [TYPE],
      );
      return r.rows[0].n as number;
    });
    const finished = performance.now();
    await counter.end();
    await boss.stop({ graceful: false, wait: true });
    report(count, t0, launched, finished, {
      workers: CONCURRENCY,
      batchSize: PGBOSS_BATCH,
      pollingIntervalSeconds: 0.5,
    });
    break;
  }
  case "graphile": {
    const [url, schema, countText] = rest as [string, string, string];
    const count = Number(countText);
    const runner = await graphileRun({
      connectionString: url,
      schema,
      concurrency: CONCURRENCY,
      noHandleSignals: true,
      pollInterval: 2000,
      logger: new GraphileLogger(() => () => {}),
      taskList: { [TYPE]: async () => {} },
    });
    const counter = new pg.Client({ connectionString: url });
    await counter.connect();
    const t0 = performance.now();
    await launchAll(count, (n) => runner.addJob(TYPE, { n }));
    const launched = performance.now();
    // A completed job is deleted; none left means all completed (failures would stay).
    await until(count, async () => {
      const r = await counter.query(`select count(*)::int as n from "${schema}"._private_jobs`);
      return count - (r.rows[0].n as number);
    });
    const finished = performance.now();
    await counter.end();
    await runner.stop();
    report(count, t0, launched, finished, { concurrency: CONCURRENCY });
    break;
  }
  default:
    throw new Error(`unknown contender ${contender}`);
}
process.exit(0);
