import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { JobRecord } from "../../src/registry/types.js";
import type { Database } from "../../src/store/schema.js";
import type { SqlBackend } from "../../src/store/sql-backend.js";
import { sqlLaunchMethods } from "../../src/store/sql-job-launch.js";
import { sqlJobReads } from "../../src/store/sql-job-reads.js";
import type { Op } from "../../src/store/sql-job-rows.js";
import { migrateSqlDatabase } from "../../src/store/sql-migrate.js";
import type { JobThread } from "../../src/store/sqlite-job-thread.js";
import { closeJobThread, jobThreadOf, sqliteJobMethods } from "../../src/store/sqlite-jobs.js";
import type { JobFinish, JobMethods } from "../../src/store/types.js";

const WORKER = "node-a";
/** Jobs per round that make it big enough for the thread (sqlite-jobs.ts's THREAD_ROWS is 50). */
const BIG = 60;
const LEASE_MS = 5000;

/**
 * SQLite's job methods on a file (or `:memory:`) of their own, without a store around them, so
 * the tests can reach the connection's job thread (`jobThreadOf`): the schema migrated and `count`
 * jobs launched on the same connection.
 */
async function harness(count: number, where: "file" | "memory" = "file") {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-job-thread-"));
  const file = join(dir, "state.db");
  const database = new BetterSqlite3(where === "file" ? file : ":memory:");
  database.pragma("journal_mode = WAL");
  database.pragma("busy_timeout = 2000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const op: Op = (fn) => fn(db);
  await migrateSqlDatabase(db, { kind: "sqlite" } as SqlBackend);
  let notified = 0;
  const notifier = { inTransaction: async () => {}, after: () => void notified++ };
  const methods = sqliteJobMethods(op, () => database, notifier);
  const reads = sqlJobReads(op);
  await launch(sqlLaunchMethods(op, notifier), count);
  notified = 0;
  const claim = (n: number, now = Date.now()) =>
    methods.claimJobs({ slots: { noop: n }, worker: WORKER, leaseMs: LEASE_MS, now });
  const completions = (jobs: JobRecord[]): JobFinish[] =>
    jobs.map((job) => ({
      id: job.id,
      outcome: { status: "completed", result: { n: (job.payload as { n: number }).n } },
      held: job,
    }));
  return {
    database,
    file,
    methods,
    reads,
    claim,
    completions,
    notified: () => notified,
    thread: () => jobThreadOf(database),
    /** Waits until the job thread has opened the file. */
    async ready() {
      for (let i = 0; i < 500 && !jobThreadOf(database)?.ready; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(jobThreadOf(database)?.ready).toBe(true);
    },
    async statuses() {
      const counts: Record<string, number> = {};
      for (const job of await reads.listJobs({ limit: 1000 }))
        counts[job.status] = (counts[job.status] ?? 0) + 1;
      return counts;
    },
    async close() {
      await closeJobThread(database);
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Text that JSON must escape, and characters beyond ASCII, in payloads, results and errors. */
const TRICKY = 'quote " backslash \\ newline \n tab \t nul-free \u2028 é 漢字 😀 </script>';

type Harness = Awaited<ReturnType<typeof harness>>;

async function launch(launcher: Pick<JobMethods, "launchJobs">, count: number): Promise<void> {
  const now = Date.now() - 1000;
  await launcher.launchJobs(
    Array.from({ length: count }, (_, n) => ({
      job: {
        id: randomUUID(),
        type: "noop",
        payload: { n, text: TRICKY },
        priority: n % 3,
        maxAttempts: 3,
        runAt: now + n,
        dedupKey: null,
        launchedBy: "test",
        reason: "test",
        now,
      },
      action: { daemon: "test", action: "launched", reason: "test", at: now, node: null },
    })),
  );
}

describe("SQLite's job thread (claims and outcome writes beside the event loop)", () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  const make = async (count: number, where: "file" | "memory" = "file") => {
    const h = await harness(count, where);
    open.push(h);
    return h;
  };

  /** Claims BIG twice: the second round is big (the first took BIG) and starts the thread. */
  const threaded = async (h: Harness) => {
    const jobs = [...(await h.claim(BIG)), ...(await h.claim(BIG))];
    await h.ready();
    return jobs;
  };

  it("keeps small rounds on the store's connection and starts no thread for them", async () => {
    const h = await make(60);
    for (const n of [10, 20, 30]) {
      const jobs = await h.claim(n);
      expect(jobs).toHaveLength(n);
      const finished = await h.methods.finishJobs(WORKER, h.completions(jobs), Date.now());
      expect(finished.every((j) => j?.status === "completed")).toBe(true);
    }
    expect(h.thread()).toBeUndefined();
    expect(await h.statuses()).toEqual({ completed: 60 });
  });

  it("runs the first big round here, starts the thread, and sends later big rounds to it", async () => {
    const h = await make(300);
    const first = await h.claim(BIG);
    expect(h.thread()).toBeUndefined(); // the first claim could not know it would be big
    const second = await h.claim(BIG);
    expect(second).toHaveLength(BIG);
    const thread = h.thread();
    expect(thread).toBeDefined();
    await h.ready();
    const round = vi.spyOn(thread as NonNullable<typeof thread>, "round");
    const now = Date.now();
    const { finished, claimed } = await h.methods.finishAndClaimJobs(
      WORKER,
      h.completions(first),
      { slots: { noop: BIG }, worker: WORKER, leaseMs: LEASE_MS, now },
      now,
    );
    expect(round).toHaveBeenCalledTimes(1);
    // The same records a round here gives: the claimed by priority then due time, leases from
    // the claim; the finished in the order sent, from the held records and the changed columns.
    expect(claimed).toHaveLength(BIG);
    for (const job of claimed) {
      expect(job).toMatchObject({
        status: "running",
        lockedBy: WORKER,
        attempts: 1,
        leaseExpiresAt: now + LEASE_MS,
        startedAt: now,
        updatedAt: now,
      });
      expect(job).toEqual(await h.reads.getJob(job.id));
    }
    const order = [...claimed].sort(
      (a, b) => b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt,
    );
    expect(claimed.map((j) => j.id)).toEqual(order.map((j) => j.id));
    expect(finished.map((j) => j?.id)).toEqual(first.map((j) => j.id));
    for (const [i, job] of finished.entries()) {
      const held = first[i] as JobRecord;
      expect(job).toEqual(await h.reads.getJob(held.id));
      expect(job).toMatchObject({
        status: "completed",
        result: { n: (held.payload as { n: number }).n },
        progress: 100,
        lockedBy: null,
      });
    }
    expect(h.notified()).toBe(1);
    expect(await h.statuses()).toEqual({
      completed: BIG,
      running: 2 * BIG,
      pending: 300 - 3 * BIG,
    });
  });

  it("carries payloads, results and errors that JSON must escape unchanged through the thread", async () => {
    const h = await make(3 * BIG);
    const jobs = await threaded(h);
    const [failing, ...rest] = jobs as [JobRecord, ...JobRecord[]];
    expect(failing.payload).toEqual({ n: expect.any(Number), text: TRICKY });
    const round = vi.spyOn(h.thread() as JobThread, "round");
    const finished = await h.methods.finishJobs(
      WORKER,
      [
        {
          id: failing.id,
          outcome: { status: "failed", error: TRICKY, retryAt: null },
          held: failing,
        },
        ...rest.map((job) => ({
          id: job.id,
          outcome: { status: "completed" as const, result: { echo: TRICKY, big: 2 ** 52 } },
          held: job,
        })),
      ],
      Date.now(),
    );
    expect(round).toHaveBeenCalledTimes(1);
    expect(finished[0]).toMatchObject({ status: "failed", error: TRICKY });
    expect(finished[1]).toMatchObject({
      status: "completed",
      result: { echo: TRICKY, big: 2 ** 52 },
    });
    for (const [i, job] of finished.entries())
      expect(job).toEqual(await h.reads.getJob(jobs[i]?.id as string));
    const claimed = await h.claim(BIG);
    expect(claimed.every((j) => (j.payload as { text: string }).text === TRICKY)).toBe(true);
  });

  it("answers null for an attempt that is not the worker's, and writes an id sent twice once", async () => {
    const h = await make(2 * BIG);
    const jobs = await threaded(h);
    const [a, ...rest] = jobs as [JobRecord, ...JobRecord[]];
    const other = await h.methods.finishJobs("node-b", h.completions(rest), Date.now());
    expect(other.every((j) => j === null)).toBe(true);
    const finished = await h.methods.finishJobs(WORKER, h.completions([a, a, ...rest]), Date.now());
    expect(finished.map((j) => j?.status ?? null)).toEqual([
      "completed",
      null,
      ...rest.map(() => "completed"),
    ]);
  });

  it("keeps a :memory: database's rounds on its own connection (no thread can share it)", async () => {
    const h = await make(2 * BIG, "memory");
    const jobs = [...(await h.claim(BIG)), ...(await h.claim(BIG))];
    expect(jobs).toHaveLength(2 * BIG);
    const finished = await h.methods.finishJobs(WORKER, h.completions(jobs), Date.now());
    expect(finished.every((j) => j?.status === "completed")).toBe(true);
    expect(h.thread()).toBeUndefined();
  });

  it("returns the driver's error code from the thread (a lock held past the busy timeout)", async () => {
    const h = await make(3 * BIG);
    h.database.pragma("busy_timeout = 300"); // the thread takes it over when it starts
    await threaded(h);
    const blocker = new BetterSqlite3(h.file);
    blocker.pragma("busy_timeout = 0");
    blocker.exec("begin immediate");
    try {
      const failed = await h.claim(BIG).catch((e: unknown) => e);
      // The thread waited its busy timeout (300 ms) for the lock, then gave up with SQLITE_BUSY.
      expect((failed as { code?: string }).code).toBe("SQLITE_BUSY");
    } finally {
      blocker.exec("rollback");
      blocker.close();
    }
    expect(await h.statuses()).toEqual({ running: 2 * BIG, pending: BIG });
    expect(await h.claim(BIG)).toHaveLength(BIG);
  }, 10_000);

  it("loses nothing when the thread dies with a round in flight: the next round starts a new thread", async () => {
    const h = await make(3 * BIG);
    const first = await threaded(h);
    const dying = h.thread() as JobThread;
    // Holding the write lock keeps the round in the thread's busy handler until it is killed.
    const blocker = new BetterSqlite3(h.file);
    blocker.exec("begin immediate");
    const now = Date.now();
    const inFlight = h.methods
      .finishAndClaimJobs(
        WORKER,
        h.completions(first),
        { slots: { noop: BIG }, worker: WORKER, leaseMs: LEASE_MS, now },
        now,
      )
      .then(
        () => "resolved",
        (e: Error) => e.message,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exited = dying.terminate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    blocker.exec("rollback");
    blocker.close();
    await exited;
    expect(await inFlight).toMatch(/SQLite job thread exited/);
    expect(dying.gone).toBe(true);

    // Its transaction never committed: the outcomes are still to write, nothing more claimed.
    expect(await h.statuses()).toEqual({ running: 2 * BIG, pending: BIG });
    const again = await h.methods.finishAndClaimJobs(
      WORKER,
      h.completions(first),
      { slots: { noop: BIG }, worker: WORKER, leaseMs: LEASE_MS, now: Date.now() },
      Date.now(),
    );
    expect(again.finished.every((j) => j?.status === "completed")).toBe(true);
    expect(again.claimed).toHaveLength(BIG);
    const next = h.thread();
    expect(next).toBeDefined();
    expect(next).not.toBe(dying);
    await h.ready();
    const round = vi.spyOn(next as JobThread, "round");
    const last = await h.methods.finishJobs(WORKER, h.completions(again.claimed), Date.now());
    expect(round).toHaveBeenCalledTimes(1);
    expect(last.every((j) => j?.status === "completed")).toBe(true);
    expect(await h.statuses()).toEqual({ completed: 3 * BIG });
  }, 10_000);

  it("stops starting threads after three died, and runs the rounds here", async () => {
    const h = await make(8 * BIG);
    await h.claim(BIG);
    for (let i = 0; i < 3; i++) {
      await h.claim(BIG); // big: starts a thread (the last one died)
      await h.ready();
      await (h.thread() as JobThread).terminate();
    }
    expect(await h.claim(BIG)).toHaveLength(BIG);
    expect(h.thread()).toBeUndefined();
    expect(await h.statuses()).toEqual({ running: 5 * BIG, pending: 3 * BIG });
  });

  it("closes after the rounds in flight: their records come back and are committed", async () => {
    const h = await make(3 * BIG);
    await threaded(h);
    const thread = h.thread() as JobThread;
    const blocker = new BetterSqlite3(h.file);
    blocker.exec("begin immediate");
    const inFlight = h.claim(BIG);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = closeJobThread(h.database);
    blocker.exec("rollback");
    blocker.close();
    expect(await inFlight).toHaveLength(BIG);
    await closed;
    expect(thread.gone).toBe(true);
    expect(await h.statuses()).toEqual({ running: 3 * BIG });
  });
});
