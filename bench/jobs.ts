/**
 * 5. Jobs: jobs per second to completed, no-op handlers, in three workloads (bench/jobs-peers.ts):
 *
 * - `launch` (JOBS_COUNT, default 2,000): workers running, 10 concurrent loops launching one job
 *   per call — ringmaster on SQLite and PostgreSQL against pg-boss and graphile-worker (defaults);
 * - `drain` (JOBS_DRAIN_COUNT, default 10,000): the jobs queued first, then the workers start —
 *   the peers' published workload;
 * - `idle`: workers started and idle, then one bulk launch (ringmaster `launchMany`, pg-boss
 *   `insert`, graphile-worker `addJobs`) → all completed.
 *
 * In `drain` and `idle` the peers run in their fast configurations (pg-boss batches,
 * graphile-worker `localQueue`) beside the bare `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
 * LOCKED LIMIT 10) RETURNING` loop with 10 claimers, the limit of what the database allows. Each
 * contender runs in a process of its own (bench/jobs-child.ts) on a fresh schema (or SQLite file)
 * dropped afterwards; rounds are interleaved and each contender's best round counts.
 *
 *   npx tsx bench/jobs.ts      npm run bench:jobs      JOBS_PHASES=drain,idle npx tsx bench/jobs.ts
 *
 * Everyone runs 10 jobs at once. PostgreSQL: 127.0.0.1:5432, database `test` (PG_URL overrides).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Phase, PhaseResult } from "./jobs-peers.js";
import { type Benchmark, type Row, row, runChild, runIfMain } from "./lib.js";

const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const COUNT = Number(process.env.JOBS_COUNT ?? 2_000);
const DRAIN_COUNT = Number(process.env.JOBS_DRAIN_COUNT ?? 10_000);
const ROUNDS = Number(process.env.JOBS_ROUNDS ?? 2);
const PHASES = (process.env.JOBS_PHASES ?? "launch,drain,idle").split(",") as Phase[];

type Contender =
  | "ringmaster-postgres"
  | "ringmaster-sqlite"
  | "pg-boss"
  | "graphile"
  | "graphile-lq"
  | "bare";
const CONTENDERS: Record<Phase, Contender[]> = {
  launch: ["ringmaster-postgres", "pg-boss", "graphile", "ringmaster-sqlite"],
  drain: ["ringmaster-postgres", "graphile-lq", "bare", "pg-boss", "ringmaster-sqlite"],
  idle: ["ringmaster-postgres", "graphile-lq", "bare", "pg-boss", "ringmaster-sqlite"],
};
const LABELS: Record<Contender, string> = {
  "ringmaster-postgres": "ringmaster PostgreSQL",
  "ringmaster-sqlite": "ringmaster SQLite",
  "pg-boss": "pg-boss (10 × batch 100)",
  graphile: "graphile-worker (defaults)",
  "graphile-lq": "graphile-worker (localQueue 100)",
  bare: "bare SKIP LOCKED loop",
};

async function dropSchema(schema: string) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
}

async function once(phase: Phase, contender: Contender): Promise<PhaseResult> {
  const count = String(phase === "launch" ? COUNT : DRAIN_COUNT);
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  if (contender === "ringmaster-sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-"));
    try {
      const url = `sqlite:${join(dir, "state.db")}`;
      return await runChild<PhaseResult>("jobs-child.ts", [phase, "ringmaster", url, count]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const args =
    contender === "ringmaster-postgres"
      ? ["ringmaster", `${PG_URL}?schema=${schema}`, count]
      : [contender, PG_URL, schema, count];
  try {
    return await runChild<PhaseResult>("jobs-child.ts", [phase, ...args]);
  } finally {
    await dropSchema(schema);
  }
}

const ahead = { on: "ratio", kind: "min", value: 1, label: "ahead (≥ 1×)" } as const;
const nearLimit = { on: "ratio", kind: "min", value: 0.8, label: "≥ 0.8× the limit" } as const;

function rowsOf(phase: Phase, best: (c: Contender) => number): Row[] {
  const vs = (mine: Contender, peer: Contender, target: Row["target"]) =>
    row({
      metric: `${phase}: ${LABELS[mine]} vs ${LABELS[peer]}`,
      figure: best(mine),
      unit: "/s",
      baseline: best(peer),
      baselineLabel: LABELS[peer],
      target,
    });
  if (phase === "launch")
    return (["ringmaster-postgres", "ringmaster-sqlite"] as const).flatMap((mine) => [
      vs(mine, "pg-boss", ahead),
      vs(mine, "graphile", ahead),
    ]);
  const rows = [
    vs("ringmaster-postgres", "graphile-lq", ahead),
    vs("ringmaster-postgres", "bare", nearLimit),
    vs("ringmaster-postgres", "pg-boss", ahead),
  ];
  if (phase === "drain")
    rows.push(
      vs("ringmaster-sqlite", "ringmaster-postgres", {
        on: "ratio",
        kind: "min",
        value: 1.5,
        label: "≥ 1.5× PostgreSQL",
      }),
    );
  return rows;
}

const benchmark: Benchmark = {
  name: "jobs",
  title: `Jobs: to completed, no-op handlers (launch ${COUNT}, drain/idle ${DRAIN_COUNT} jobs; best of ${ROUNDS})`,
  async run() {
    const rounds = Object.fromEntries(
      PHASES.map((phase) => [phase, Object.fromEntries(CONTENDERS[phase].map((c) => [c, []]))]),
    ) as unknown as Record<Phase, Record<Contender, PhaseResult[]>>;
    for (let r = 0; r < ROUNDS; r++)
      for (const phase of PHASES)
        for (const contender of CONTENDERS[phase])
          rounds[phase][contender].push(await once(phase, contender));
    const rows = PHASES.flatMap((phase) =>
      rowsOf(phase, (c) => Math.max(...rounds[phase][c].map((x) => x.jobsPerSecond))),
    );
    return {
      rows,
      details: {
        count: COUNT,
        drainCount: DRAIN_COUNT,
        rounds,
        setup:
          "10 jobs at once everywhere. ringmaster = createJobService over createStore, launches via " +
          "forDaemon('bench').launch / launchMany (so every job has its 'launched' action); pg-boss " +
          "10.4: 10 work() loops, batchSize 100, pollingIntervalSeconds 0.5; graphile-worker 0.17: " +
          "concurrency 10, defaults (launch) or localQueue.size 100 with completeJobBatchDelay 0 " +
          "(drain, idle); bare: 10 claimers of UPDATE … FOR UPDATE SKIP LOCKED LIMIT 10 RETURNING.",
        completion:
          "ringmaster: the 'completed' status update (emitted after the store recorded it); " +
          "pg-boss: rows in state 'completed'; graphile-worker: no rows left; bare: its own count " +
          "(all polled every 10 ms)",
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
