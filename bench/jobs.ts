/**
 * 5. Jobs: jobs per second from launch to completed, no-op handlers. ringmaster's job service on
 * SQLite and on PostgreSQL, against pg-boss and graphile-worker on the same PostgreSQL, in the
 * same run. Each contender runs in a process of its own (bench/jobs-child.ts), on a fresh schema
 * (or SQLite file) dropped afterwards; rounds are interleaved and the best round counts.
 *
 *   npx tsx bench/jobs.ts      npm run bench:jobs
 *
 * ringmaster is used as pg-boss and graphile-worker are: as a library, `createJobService` over
 * `createStore(url)` (what the manager wires behind `ctx.jobs`), launching through
 * `forDaemon("bench").launch` so every launch is also recorded as a job action, as in a daemon.
 * Everyone: 10 concurrent launch loops, one job per call, 10 jobs at once in the workers
 * (ringmaster `concurrency: 10`, graphile-worker `concurrency: 10`, pg-boss 10 `work()` loops
 * fetching up to 100 jobs per poll every 0.5 s, its minimum).
 *
 * PostgreSQL: 127.0.0.1:5432, database `test` (PG_URL overrides).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Benchmark, row, runChild, runIfMain } from "./lib.js";

const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const COUNT = Number(process.env.JOBS_COUNT ?? 2_000);
const ROUNDS = Number(process.env.JOBS_ROUNDS ?? 2);

interface ChildResult {
  count: number;
  jobsPerSecond: number;
  launchMs: number;
  totalMs: number;
}

type Contender = "ringmaster-sqlite" | "ringmaster-postgres" | "pg-boss" | "graphile-worker";
const CONTENDERS: Contender[] = [
  "ringmaster-postgres",
  "pg-boss",
  "graphile-worker",
  "ringmaster-sqlite",
];

async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}

async function once(contender: Contender): Promise<ChildResult> {
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  switch (contender) {
    case "ringmaster-sqlite": {
      const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-"));
      try {
        return await runChild<ChildResult>("jobs-child.ts", [
          "ringmaster",
          `sqlite:${join(dir, "state.db")}`,
          String(COUNT),
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    case "ringmaster-postgres":
      try {
        return await runChild<ChildResult>("jobs-child.ts", [
          "ringmaster",
          `${PG_URL}?schema=${schema}`,
          String(COUNT),
        ]);
      } finally {
        await dropSchema(schema);
      }
    case "pg-boss":
    case "graphile-worker":
      try {
        return await runChild<ChildResult>("jobs-child.ts", [
          contender === "pg-boss" ? "pg-boss" : "graphile",
          PG_URL,
          schema,
          String(COUNT),
        ]);
      } finally {
        await dropSchema(schema);
      }
  }
}

const benchmark: Benchmark = {
  name: "jobs",
  title: `Jobs: launch → completed, no-op handlers (${COUNT} jobs, best of ${ROUNDS})`,
  async run() {
    const rounds: Record<Contender, ChildResult[]> = {
      "ringmaster-sqlite": [],
      "ringmaster-postgres": [],
      "pg-boss": [],
      "graphile-worker": [],
    };
    for (let r = 0; r < ROUNDS; r++)
      for (const contender of CONTENDERS) rounds[contender].push(await once(contender));
    const best = (c: Contender) =>
      rounds[c].reduce((a, b) => (b.jobsPerSecond > a.jobsPerSecond ? b : a));
    const peer = Math.max(best("pg-boss").jobsPerSecond, best("graphile-worker").jobsPerSecond);
    const ahead = { on: "ratio", kind: "min", value: 1, label: "ahead of both (> 1×)" } as const;
    const rows = [];
    for (const [label, c] of [
      ["PostgreSQL", "ringmaster-postgres"],
      ["SQLite", "ringmaster-sqlite"],
    ] as const) {
      const mine = best(c).jobsPerSecond;
      rows.push(
        row({
          metric: `${label}: jobs/s vs pg-boss`,
          figure: mine,
          unit: "/s",
          baseline: best("pg-boss").jobsPerSecond,
          baselineLabel: "pg-boss",
          target: ahead,
        }),
        row({
          metric: `${label}: jobs/s vs graphile-worker`,
          figure: mine,
          unit: "/s",
          baseline: best("graphile-worker").jobsPerSecond,
          baselineLabel: "graphile-worker",
          target: ahead,
        }),
      );
    }
    return {
      rows,
      details: {
        count: COUNT,
        rounds,
        bestPeerJobsPerSecond: peer,
        setup:
          "10 launch loops, one job per call; 10 at once in workers; ringmaster = createJobService " +
          "over createStore, launches via forDaemon('bench').launch; pg-boss 10.x: 10 work() loops, " +
          "batchSize 100, pollingIntervalSeconds 0.5; graphile-worker 0.17: concurrency 10",
        completion:
          "ringmaster: the 'completed' status update (emitted after the store recorded it); " +
          "pg-boss: rows in state 'completed'; graphile-worker: no rows left (polled every 10 ms)",
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
