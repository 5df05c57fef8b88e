/**
 * The peers of the jobs benchmark (bench/jobs.ts), each run by bench/jobs-child.ts in a process of
 * its own, in each of the three workloads:
 *
 * - `launch`: workers running, LAUNCHERS concurrent loops launching one job per call;
 * - `drain`: COUNT jobs queued first, then the workers start;
 * - `idle`: workers started and idle, then one bulk launch of COUNT jobs.
 *
 * Every contender runs CONCURRENCY jobs at once, no-op handlers. The configurations (and why) are
 * written up in bench/README.md, section 5.
 */
import { Logger as GraphileLogger, run as graphileRun, makeWorkerUtils } from "graphile-worker";
import pg from "pg";
import PgBoss from "pg-boss";
import { backendCpu, cpuBetween } from "./pg-backend-cpu.js";

export type Phase = "launch" | "drain" | "idle";
export const CONCURRENCY = 10;
export const LAUNCHERS = 10;
export const TYPE = "bench_noop";
/** pg-boss: jobs fetched per poll of each of its CONCURRENCY work() loops (10.x polls at most every 0.5 s). */
export const PGBOSS_BATCH = 100;
/** graphile-worker `localQueue.size`, the figure its performance docs and the issue run with. */
export const GRAPHILE_LOCAL_QUEUE = 100;
/** The bare loop: jobs per claim (and per completion statement), one claimer per slot group. */
export const BARE_BATCH = 10;
const POLL_MS = 10;
const TIMEOUT_MS = 180_000;

export interface PhaseResult {
  count: number;
  jobsPerSecond: number;
  launchMs: number;
  totalMs: number;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs LAUNCHERS loops that together call `launch(n)` for n = 1..count. */
export async function launchAll(count: number, launch: (n: number) => Promise<unknown>) {
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

export const result = (
  count: number,
  t0: number,
  launched: number,
  done: number,
  extra = {},
): PhaseResult => ({
  count,
  jobsPerSecond: (count / (done - t0)) * 1000,
  launchMs: launched - t0,
  totalMs: done - t0,
  ...extra,
});

/**
 * The phase's clock: `queue` runs before the timer starts (drain), `startWorkers` before
 * (launch, idle) or inside it (drain), `launch` inside it (launch, idle).
 */
export async function timed(
  phase: Phase,
  count: number,
  steps: {
    queue(): Promise<unknown>;
    startWorkers(): Promise<unknown>;
    launchOne(n: number): Promise<unknown>;
    launchBulk(): Promise<unknown>;
    completed(): Promise<unknown>;
  },
  extra: Record<string, unknown> = {},
): Promise<PhaseResult> {
  if (phase === "drain") await steps.queue();
  else await steps.startWorkers();
  if (phase === "idle") await sleep(200); // idle: every worker has polled once and waits
  const db0 = backendCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (phase === "drain") await steps.startWorkers();
  else if (phase === "launch") await launchAll(count, steps.launchOne);
  else await steps.launchBulk();
  const launched = performance.now();
  await steps.completed();
  const done = performance.now();
  const cpu = process.cpuUsage(cpu0);
  // CPU per job of this process and of its PostgreSQL backends (SQLite: 0) over the timed part.
  const nodeCpuUsPerJob = Math.round((cpu.user + cpu.system) / count);
  const dbCpuUsPerJob = Math.round((cpuBetween(db0, backendCpu()) * 1000) / count);
  return result(count, t0, launched, done, { ...extra, nodeCpuUsPerJob, dbCpuUsPerJob });
}

export async function runPgBoss(phase: Phase, url: string, schema: string, count: number) {
  const boss = new PgBoss({ connectionString: url, schema, max: 10 });
  boss.on("error", (error) => console.error("pg-boss:", error.message));
  await boss.start();
  await boss.createQueue(TYPE);
  const counter = new pg.Client({ connectionString: url });
  await counter.connect();
  const bulk = async () => {
    for (let i = 0; i < count; i += 1000) {
      const n = Math.min(1000, count - i);
      await boss.insert(Array.from({ length: n }, (_, k) => ({ name: TYPE, data: { n: i + k } })));
    }
  };
  const out = await timed(
    phase,
    count,
    {
      queue: bulk,
      launchBulk: bulk,
      launchOne: (n) => boss.send(TYPE, { n }),
      async startWorkers() {
        for (let i = 0; i < CONCURRENCY; i++)
          await boss.work(
            TYPE,
            { batchSize: PGBOSS_BATCH, pollingIntervalSeconds: 0.5 },
            async () => {},
          );
      },
      completed: () =>
        until(count, async () => {
          const r = await counter.query(
            `select count(*)::int as n from "${schema}".job where name = $1 and state = 'completed'`,
            [TYPE],
          );
          return r.rows[0].n as number;
        }),
    },
    { workers: CONCURRENCY, batchSize: PGBOSS_BATCH, pollingIntervalSeconds: 0.5 },
  );
  await counter.end();
  await boss.stop({ graceful: false, wait: true });
  return out;
}

export async function runGraphile(
  phase: Phase,
  url: string,
  schema: string,
  count: number,
  localQueue: boolean,
) {
  const logger = new GraphileLogger(() => () => {});
  const utils = await makeWorkerUtils({ connectionString: url, schema, logger });
  await utils.migrate();
  const counter = new pg.Client({ connectionString: url });
  await counter.connect();
  let runner: Awaited<ReturnType<typeof graphileRun>> | undefined;
  const bulk = async () => {
    for (let i = 0; i < count; i += 1000) {
      const n = Math.min(1000, count - i);
      await utils.addJobs(
        Array.from({ length: n }, (_, k) => ({ identifier: TYPE, payload: { n: i + k } })),
      );
    }
  };
  const fast = localQueue
    ? {
        preset: {
          worker: {
            localQueue: { size: GRAPHILE_LOCAL_QUEUE },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        },
      }
    : {};
  const out = await timed(
    phase,
    count,
    {
      queue: bulk,
      launchBulk: bulk,
      launchOne: (n) => utils.addJob(TYPE, { n }),
      async startWorkers() {
        runner = await graphileRun({
          connectionString: url,
          schema,
          concurrency: CONCURRENCY,
          noHandleSignals: true,
          pollInterval: 2000,
          logger,
          taskList: { [TYPE]: async () => {} },
          ...fast,
        });
      },
      // A completed job is deleted; none left means all completed (failures would stay).
      completed: () =>
        until(count, async () => {
          const r = await counter.query(`select count(*)::int as n from "${schema}"._private_jobs`);
          return count - (r.rows[0].n as number);
        }),
    },
    {
      concurrency: CONCURRENCY,
      ...(localQueue ? { localQueueSize: GRAPHILE_LOCAL_QUEUE, completeJobBatchDelay: 0 } : {}),
    },
  );
  await counter.end();
  await runner?.stop();
  await utils.release();
  return out;
}

/**
 * The limit: a table of jobs and 10 claimers, each looping `UPDATE … WHERE id IN (SELECT … FOR
 * UPDATE SKIP LOCKED LIMIT 10) RETURNING`, running the no-op handlers, and marking the batch
 * completed in one `UPDATE`. No leases, no retries, no history: what the database allows.
 */
export async function runBare(phase: Phase, url: string, schema: string, count: number) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema "${schema}"`);
  const table = `"${schema}".jobs`;
  await admin.query(`create table ${table} (id bigserial primary key, status text not null
    default 'pending', payload jsonb, locked_by int, locked_at timestamptz)`);
  await admin.query(`create index on ${table} (id) where status = 'pending'`);
  const bulk = () =>
    admin.query(
      `insert into ${table} (payload) select jsonb_build_object('n', g) from generate_series(1, $1) g`,
      [count],
    );
  let completed = 0;
  let stopped = false;
  const claimers: Promise<void>[] = [];
  const clients: pg.Client[] = [];
  const claimLoop = async (client: pg.Client, me: number) => {
    while (!stopped) {
      const claimed = await client.query(
        `update ${table} set status = 'running', locked_by = $1, locked_at = now()
         where id in (select id from ${table} where status = 'pending' order by id
                      limit ${BARE_BATCH} for update skip locked)
         returning id, payload`,
        [me],
      );
      if (claimed.rows.length === 0) {
        await sleep(1);
        continue;
      }
      await Promise.all(claimed.rows.map(async () => {}));
      await client.query(`update ${table} set status = 'completed' where id = any($1::bigint[])`, [
        claimed.rows.map((r) => r.id),
      ]);
      completed += claimed.rows.length;
    }
  };
  const out = await timed(
    phase,
    count,
    {
      queue: bulk,
      launchBulk: bulk,
      launchOne: () => admin.query(`insert into ${table} (payload) values ('{}')`),
      async startWorkers() {
        const connected = await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            const client = new pg.Client({ connectionString: url });
            await client.connect();
            return client;
          }),
        );
        clients.push(...connected);
        for (const [i, client] of connected.entries()) claimers.push(claimLoop(client, i));
      },
      completed: () => until(count, async () => completed),
    },
    { claimers: CONCURRENCY, batch: BARE_BATCH },
  );
  stopped = true;
  await Promise.all(claimers);
  for (const client of clients) await client.end();
  await admin.end();
  return out;
}
