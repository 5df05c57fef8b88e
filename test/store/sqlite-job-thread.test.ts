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
import { closeJobThread, jobThreadOf, sqliteJobMethods } from "../../src/store/sqlite-jobs.js";
import type { JobFinish, JobMethods } from "../../src/store/types.js";

const WORKER = "node-a";
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

async function launch(launcher: Pick<JobMethods, "launchJobs">, count: number): Promise<void> {
  const now = Date.now() - 1000;
  await launcher.launchJobs(
    Array.from({ length: count }, (_, n) => ({
      job: {
        id: randomUUID(),
        type: "noop",
        payload: { n },
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

  it("runs the first round here, starts the thread, and sends later rounds to it", async () => {
    const h = await make(30);
    expect(h.thread()).toBeUndefined();
    const first = await h.claim(10);
    expect(first).toHaveLength(10);
    const thread = h.thread();
    expect(thread).toBeDefined();
    await h.ready();
    const round = vi.spyOn(thread as NonNullable<typeof thread>, "round");
    const now = Date.now();
    const { finished, claimed } = await h.methods.finishAndClaimJobs(
      WORKER,
      h.completions(first),
      { slots: { noop: 10 }, worker: WORKER, leaseMs: LEASE_MS, now },
      now,
    );
    expect(round).toHaveBeenCalledTimes(1);
    // The same records a round here gives: the claimed by priority then due time, leases from
    // the claim; the finished in the order sent, from the held records and the changed columns.
    expect(claimed).toHaveLength(10);
    for (const job of claimed) {
      expect(job).toMatchObject({
        status: "running",
        lockedBy: WORKER,
        attempts: 1,
        leaseExpiresAt: now + LEASE_MS,
        startedAt: now,
        updatedAt: now,
      });
    }
    const order = [...claimed].sort(
      (a, b) => b.priority - a.priority || a.runAt - b.runAt || a.createdAt - b.createdAt,
    );
    expect(claimed.map((j) => j.id)).toEqual(order.map((j) => j.id));
    expect(finished.map((j) => j?.id)).toEqual(first.map((j) => j.id));
    for (const [i, job] of finished.entries()) {
      const stored = await h.reads.getJob(first[i]?.id as string);
      expect(job).toEqual(stored);
      expect(job).toMatchObject({ status: "completed", progress: 100, lockedBy: null });
    }
    expect(h.notified()).toBe(1);
    expect(await h.statuses()).toEqual({ completed: 10, running: 10, pending: 10 });
  });

  it("answers null for an attempt that is not the worker's, and writes an id sent twice once", async () => {
    const h = await make(4);
    const jobs = await h.claim(4);
    await h.ready();
    const [a, b] = jobs as [JobRecord, JobRecord];
    const done = h.completions([a, a, b]);
    const other = await h.methods.finishJobs("node-b", h.completions([b]), Date.now());
    expect(other).toEqual([null]);
    const finished = await h.methods.finishJobs(WORKER, done, Date.now());
    expect(finished.map((j) => j?.status ?? null)).toEqual(["completed", null, "completed"]);
  });

  it("keeps a :memory: database's rounds on its own connection (no thread can share it)", async () => {
    const h = await make(20, "memory");
    const jobs = await h.claim(20);
    expect(jobs).toHaveLength(20);
    const finished = await h.methods.finishJobs(WORKER, h.completions(jobs), Date.now());
    expect(finished.every((j) => j?.status === "completed")).toBe(true);
    expect(h.thread()).toBeUndefined();
  });

  it("returns the driver's error code from the thread (a lock held past the busy timeout)", async () => {
    const h = await make(5);
    h.database.pragma("busy_timeout = 300"); // the thread takes it over when it starts
    await h.claim(1);
    await h.ready();
    const blocker = new BetterSqlite3(h.file);
    blocker.pragma("busy_timeout = 0");
    blocker.exec("begin immediate");
    try {
      const failed = await h.claim(2).catch((e: unknown) => e);
      // The thread waited its busy timeout (300 ms) for the lock, then gave up with SQLITE_BUSY.
      expect((failed as { code?: string }).code).toBe("SQLITE_BUSY");
    } finally {
      blocker.exec("rollback");
      blocker.close();
    }
    expect(await h.statuses()).toEqual({ running: 1, pending: 4 });
    expect(await h.claim(4)).toHaveLength(4);
  }, 10_000);

  it("loses nothing when the thread dies with a round in flight: the next round starts a new thread", async () => {
    const h = await make(40);
    const first = await h.claim(20);
    await h.ready();
    const dying = h.thread() as NonNullable<ReturnType<typeof h.thread>>;
    // Holding the write lock keeps the round in the thread's busy handler until it is killed.
    const blocker = new BetterSqlite3(h.file);
    blocker.exec("begin immediate");
    const now = Date.now();
    const inFlight = h.methods
      .finishAndClaimJobs(
        WORKER,
        h.completions(first),
        { slots: { noop: 20 }, worker: WORKER, leaseMs: LEASE_MS, now },
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
    expect(await h.statuses()).toEqual({ running: 20, pending: 20 });
    const again = await h.methods.finishAndClaimJobs(
      WORKER,
      h.completions(first),
      { slots: { noop: 20 }, worker: WORKER, leaseMs: LEASE_MS, now: Date.now() },
      Date.now(),
    );
    expect(again.finished.every((j) => j?.status === "completed")).toBe(true);
    expect(again.claimed).toHaveLength(20);
    const next = h.thread();
    expect(next).toBeDefined();
    expect(next).not.toBe(dying);
    await h.ready();
    const last = await h.methods.finishJobs(WORKER, h.completions(again.claimed), Date.now());
    expect(last.every((j) => j?.status === "completed")).toBe(true);
    expect(await h.statuses()).toEqual({ completed: 40 });
  }, 10_000);

  it("stops starting threads after three died, and runs the rounds here", async () => {
    const h = await make(10);
    for (let i = 0; i < 3; i++) {
      await h.claim(1);
      await h.ready();
      await (h.thread() as NonNullable<ReturnType<typeof h.thread>>).terminate();
    }
    expect(await h.claim(3)).toHaveLength(3);
    expect(h.thread()).toBeUndefined();
    expect(await h.statuses()).toEqual({ running: 6, pending: 4 });
  });

  it("closes after the rounds in flight: their records come back and are committed", async () => {
    const h = await make(10);
    await h.claim(1);
    await h.ready();
    const thread = h.thread() as NonNullable<ReturnType<typeof h.thread>>;
    const blocker = new BetterSqlite3(h.file);
    blocker.exec("begin immediate");
    const inFlight = h.claim(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const closed = closeJobThread(h.database);
    blocker.exec("rollback");
    blocker.close();
    expect(await inFlight).toHaveLength(5);
    await closed;
    expect(thread.gone).toBe(true);
    expect(await h.statuses()).toEqual({ running: 6, pending: 4 });
  });
});
