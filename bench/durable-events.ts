/**
 * 4. Durable events between two processes: a publisher process (a manager whose daemon publishes
 * `BENCH_TICK`) and a subscriber process (a manager whose daemon declares
 * `subscribes: ["BENCH_TICK"]`, so it is fed from the store after its cursor), sharing one store,
 * on SQLite and on PostgreSQL. Two figures each: events per second end to end (flat-out
 * publishing: first publish → last event handled in the other process) and the latency
 * distribution at a steady 1,000 events/s (publish → handled in the other process).
 *
 *   npx tsx bench/durable-events.ts      npm run bench:durable-events
 *
 * Baseline, in the same run: bare `pg` LISTEN/NOTIFY between two processes — NOTIFY carrying
 * the same events (flat out: 500 per statement, the transport's own batching; paced: one
 * statement per event), received by a LISTENing client. SQLite is polled: both managers run
 * with `storePollInterval: "10ms"` (the default is 1 s).
 *
 * PostgreSQL: 127.0.0.1:5432, database `test` (PG_URL overrides), a fresh schema per phase,
 * dropped afterwards.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { BENCH_DIR, type Benchmark, row, runIfMain } from "./lib.js";

const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const FLAT_COUNT = Number(process.env.DURABLE_COUNT ?? 20_000);
const PACED_RATE = 1_000;
const PACED_COUNT = Number(process.env.DURABLE_PACED_COUNT ?? 5_000);

interface SubResult {
  count: number;
  duplicates: number;
  firstReceivedAt: number;
  lastReceivedAt: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}
interface PubResult {
  firstSentAt: number;
  lastSentAt: number;
}

/** Starts `durable-child.ts` with args; `ready` resolves on its "READY" line, `result` on its JSON. */
function child(args: string[]) {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", join(BENCH_DIR, "durable-child.ts"), ...args],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  let out = "";
  let onReady: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (chunk: string) => {
    out += chunk;
    if (out.includes("READY\n")) onReady?.();
  });
  const result = new Promise<unknown>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`durable-child ${args[0]} exited with ${code}`));
      else {
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`durable-child ${args[0]} printed no result: ${out.slice(-500)}`));
        }
      }
    });
  });
  result.catch(() => {});
  return {
    ready,
    result,
    /** Closes its stdin: a publisher then shuts down and prints its result. */
    release: () => proc.stdin.end(),
    kill: () => proc.kill("SIGKILL"),
  };
}

interface Phase {
  eventsPerSecond: number;
  sub: SubResult;
  pub: PubResult;
}

/** One subscriber and one publisher on `url`; COUNT events at `rate` (0 = flat out). */
async function phase(kind: "store" | "notify", url: string, count: number, rate: number) {
  const sub = child([kind === "store" ? "sub" : "notify-sub", url, String(count)]);
  await Promise.race([sub.ready, sub.result]);
  const pub = child([kind === "store" ? "pub" : "notify-pub", url, String(count), String(rate)]);
  try {
    const s = (await Promise.race([sub.result, pub.result])) as SubResult;
    pub.release();
    const p = (await pub.result) as PubResult;
    return {
      eventsPerSecond: (count / (s.lastReceivedAt - p.firstSentAt)) * 1000,
      sub: s,
      pub: p,
    } satisfies Phase;
  } catch (error) {
    sub.kill();
    pub.kill();
    throw error;
  }
}

async function withSqlite<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-bench-"));
  try {
    return await fn(`sqlite:${join(dir, "state.db")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withPgSchema<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  try {
    return await fn(`${PG_URL}?schema=${schema}`);
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
}

const summary = (p: Phase) => ({
  eventsPerSecond: p.eventsPerSecond,
  publishedPerSecond: (p.sub.count / (p.pub.lastSentAt - p.pub.firstSentAt)) * 1000,
  latencyMs: p.sub.latencyMs,
  duplicates: p.sub.duplicates,
});

const benchmark: Benchmark = {
  name: "durable-events",
  title: "Durable events between two processes (SQLite, PostgreSQL) vs bare LISTEN/NOTIFY",
  async run() {
    const notifyFlat = await phase("notify", PG_URL, FLAT_COUNT, 0);
    const notifyPaced = await phase("notify", PG_URL, PACED_COUNT, PACED_RATE);
    const pgFlat = await withPgSchema((url) => phase("store", url, FLAT_COUNT, 0));
    const pgPaced = await withPgSchema((url) => phase("store", url, PACED_COUNT, PACED_RATE));
    const liteFlat = await withSqlite((url) => phase("store", url, FLAT_COUNT, 0));
    const litePaced = await withSqlite((url) => phase("store", url, PACED_COUNT, PACED_RATE));

    const rows = [];
    for (const [label, flat, paced, throughputTarget] of [
      ["PostgreSQL", pgFlat, pgPaced, true],
      ["SQLite (poll 10 ms)", liteFlat, litePaced, false],
    ] as const) {
      rows.push(
        row({
          metric: `${label}: events/s end to end`,
          figure: flat.eventsPerSecond,
          unit: "/s",
          baseline: notifyFlat.eventsPerSecond,
          baselineLabel: "LISTEN/NOTIFY",
          target: throughputTarget
            ? { on: "figure", kind: "min", value: 10_000, label: "≥ 10,000 /s" }
            : null,
        }),
        row({
          metric: `${label}: p50 latency at 1,000/s`,
          figure: paced.sub.latencyMs.p50,
          unit: "ms",
          baseline: notifyPaced.sub.latencyMs.p50,
          baselineLabel: "LISTEN/NOTIFY",
        }),
        row({
          metric: `${label}: p99 latency at 1,000/s`,
          figure: paced.sub.latencyMs.p99,
          unit: "ms",
          baseline: notifyPaced.sub.latencyMs.p99,
          baselineLabel: "LISTEN/NOTIFY",
          target: { on: "figure", kind: "max", value: 50, label: "< 50 ms" },
        }),
      );
    }
    return {
      rows,
      details: {
        flatCount: FLAT_COUNT,
        pacedCount: PACED_COUNT,
        pacedRate: PACED_RATE,
        sqlitePollInterval: "10ms",
        notes:
          "eventsPerSecond: first publish → last handled in the subscriber process; " +
          "publishedPerSecond: how fast the publisher's publish() calls returned (before storing)",
        postgres: { flat: summary(pgFlat), paced: summary(pgPaced) },
        sqlite: { flat: summary(liteFlat), paced: summary(litePaced) },
        listenNotify: { flat: summary(notifyFlat), paced: summary(notifyPaced) },
      },
    };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
