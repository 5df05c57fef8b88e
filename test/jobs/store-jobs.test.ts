import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobRecord } from "../../src/registry/types.js";
import type { JobOutcome, NewJob, Store } from "../../src/store/types.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "../store/helpers/databases.js";

// The store's job methods: one suite, every implementation.
const kinds: DatabaseKind[] = ["sqlite", "memory"];
if (await postgresAvailable()) kinds.splice(1, 0, "postgres");

const T0 = Date.UTC(2026, 0, 1);
let n = 0;
const job = (over: Partial<NewJob> = {}): NewJob => ({
  id: `job-${++n}`,
  type: "metadata_generate",
  payload: { path: "a.mp4" },
  priority: 0,
  maxAttempts: 3,
  runAt: T0,
  dedupKey: null,
  launchedBy: "library_watcher",
  reason: "new file",
  now: T0,
  ...over,
});
const claim = (store: Store, now = T0, slots: Record<string, number> = { metadata_generate: 10 }) =>
  store.claimJobs({ slots, worker: "node-a", leaseMs: 1000, now });

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a wake-up");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(kinds)("store jobs (%s)", (kind) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = testDatabase(kind);
    store = database.store();
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  it("inserts a pending job and reads it back with its JSON payload", async () => {
    const { job: stored, created } = await store.insertJob(job({ payload: { path: "x", n: 2 } }));
    expect(created).toBe(true);
    expect(stored).toMatchObject({ status: "pending", attempts: 0, payload: { path: "x", n: 2 } });
    expect(await store.getJob(stored.id)).toEqual(stored);
    expect(await store.getJob("nope")).toBeNull();
  });

  it("returns the live job for a dedup key, and frees the key once it finished", async () => {
    const first = await store.insertJob(job({ dedupKey: "a.mp4" }));
    const second = await store.insertJob(job({ dedupKey: "a.mp4" }));
    expect(second).toEqual({ job: first.job, created: false });
    await store.cancelJob(first.job.id, "file deleted", T0 + 1);
    const third = await store.insertJob(job({ dedupKey: "a.mp4" }));
    expect(third.created).toBe(true);
    expect(third.job.id).not.toBe(first.job.id);
  });

  it("claims due jobs by priority, up to the free slots, counting an attempt", async () => {
    const low = await store.insertJob(job({ priority: 0 }));
    const high = await store.insertJob(job({ priority: 5 }));
    await store.insertJob(job({ runAt: T0 + 10_000 })); // not due
    await store.insertJob(job({ type: "other" }));
    const claimed = await claim(store, T0, { metadata_generate: 1 });
    expect(claimed.map((j) => j.id)).toEqual([high.job.id]);
    expect(claimed[0]).toMatchObject({
      status: "running",
      attempts: 1,
      lockedBy: "node-a",
      leaseExpiresAt: T0 + 1000,
    });
    expect((await claim(store)).map((j) => j.id)).toEqual([low.job.id]);
    expect(await claim(store)).toEqual([]);
    expect(await claim(store, T0 + 10_000)).toHaveLength(1);
  });

  it("renews, records progress and completes only for the holder", async () => {
    const { job: j } = await store.insertJob(job());
    await claim(store);
    expect(await store.renewJobLease(j.id, "node-b", 1000, T0 + 10)).toEqual({
      held: false,
      cancelRequested: false,
    });
    expect(await store.renewJobLease(j.id, "node-a", 1000, T0 + 10)).toEqual({
      held: true,
      cancelRequested: false,
    });
    expect(await store.setJobProgress(j.id, "node-a", 40, "probing", T0 + 20)).toBe(true);
    expect(await store.getJob(j.id)).toMatchObject({
      progress: 40,
      progressMessage: "probing",
      leaseExpiresAt: T0 + 1010,
    });
    expect(
      await store.finishJob(j.id, "node-b", { status: "completed", result: 1 }, T0 + 30),
    ).toBeNull();
    const done = await store.finishJob(
      j.id,
      "node-a",
      { status: "completed", result: { sha256: "ab" } },
      T0 + 30,
    );
    expect(done).toMatchObject({
      status: "completed",
      result: { sha256: "ab" },
      progress: 100,
      finishedAt: T0 + 30,
      lockedBy: null,
    });
  });

  it("fails an attempt into a retry, or for good", async () => {
    const { job: j } = await store.insertJob(job({ maxAttempts: 2 }));
    await claim(store);
    const retry = await store.finishJob(
      j.id,
      "node-a",
      { status: "failed", error: "boom", retryAt: T0 + 500 },
      T0 + 10,
    );
    expect(retry).toMatchObject({ status: "pending", error: "boom", runAt: T0 + 500, attempts: 1 });
    expect(await claim(store, T0 + 499)).toEqual([]);
    await claim(store, T0 + 500);
    const failed = await store.finishJob(
      j.id,
      "node-a",
      { status: "failed", error: "boom again", retryAt: null },
      T0 + 600,
    );
    expect(failed).toMatchObject({ status: "failed", attempts: 2, finishedAt: T0 + 600 });
  });

  it("releases a job without counting the attempt", async () => {
    const { job: j } = await store.insertJob(job());
    await claim(store);
    const released = await store.finishJob(j.id, "node-a", { status: "released" }, T0 + 5);
    expect(released).toMatchObject({ status: "pending", attempts: 0, lockedBy: null });
  });

  it("launches: the job, its launched action and a jobs wake-up together; a dedup hit adds none", async () => {
    let wakeUps = 0;
    const stop = await store.listen("jobs", () => wakeUps++);
    const action = {
      daemon: "library_watcher",
      action: "launched" as const,
      reason: "new file",
      at: T0 + 1,
      node: "node-a",
    };
    const first = await store.launchJob(job({ dedupKey: "a.mp4" }), action);
    expect(first).toMatchObject({ created: true, job: { status: "pending", dedupKey: "a.mp4" } });
    expect(await store.getJob(first.job.id)).toMatchObject({ status: "pending" });
    const again = await store.launchJob(job({ dedupKey: "a.mp4" }), action);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
    expect(
      (await store.listJobActions({ daemon: "library_watcher" })).map((a) => [
        a.jobId,
        a.action,
        a.reason,
        a.at,
        a.node,
      ]),
    ).toEqual([[first.job.id, "launched", "new file", T0 + 1, "node-a"]]);
    await waitUntil(() => wakeUps > 0);
    await stop();
  });

  it("launches several jobs in one call; a dedup key repeated or already live launches once", async () => {
    const live = await store.insertJob(job({ dedupKey: "live.mp4" }));
    const action = (reason: string) => ({
      daemon: "library_watcher",
      action: "launched" as const,
      reason,
      at: T0 + 1,
      node: "node-a",
    });
    const results = await store.launchJobs([
      { job: job({ dedupKey: "a.mp4" }), action: action("a") },
      { job: job(), action: action("plain") },
      { job: job({ dedupKey: "a.mp4" }), action: action("a again") },
      { job: job({ dedupKey: "live.mp4" }), action: action("live again") },
    ]);
    expect(results.map((r) => r.created)).toEqual([true, true, false, false]);
    expect(results[2]?.job.id).toBe(results[0]?.job.id);
    expect(results[3]?.job.id).toBe(live.job.id);
    const actions = await store.listJobActions({ daemon: "library_watcher" });
    expect(actions.map((a) => [a.jobId, a.reason]).sort()).toEqual(
      [
        [results[0]?.job.id, "a"],
        [results[1]?.job.id, "plain"],
      ].sort(),
    );
    expect(await store.launchJobs([])).toEqual([]);
  });

  it("launchJobs returns each created job as a read of it returns it", async () => {
    const action = {
      daemon: "library_watcher",
      action: "launched" as const,
      reason: "r",
      at: T0 + 1,
      node: "node-a",
    };
    const payload = { at: new Date(T0), skip: undefined, list: [1, "two"] };
    const results = await store.launchJobs([
      { job: job({ payload, priority: 3, maxAttempts: 7, runAt: T0 + 50 }), action },
      { job: job({ payload: null, dedupKey: "d.mp4", launchedBy: null, reason: null }), action },
    ]);
    for (const { job: launched } of results) {
      expect(launched).toEqual(await store.getJob(launched.id));
    }
  });

  it("a launch written again (replayed after an outage) is not created twice, whatever its state", async () => {
    const action = (reason: string) => ({
      daemon: "library_watcher",
      action: "launched" as const,
      reason,
      at: T0 + 1,
      node: "node-a",
    });
    const plain = { job: job(), action: action("plain") };
    const keyed = { job: job({ dedupKey: "k.mp4" }), action: action("keyed") };
    const finished = { job: job({ dedupKey: "f.mp4" }), action: action("finished") };
    expect((await store.launchJobs([plain, keyed, finished])).map((r) => r.created)).toEqual([
      true,
      true,
      true,
    ]);
    // The one with the key "f.mp4" ends, so its key is free again; the replay must still find it.
    expect(await claim(store, T0 + 2)).toHaveLength(3);
    await store.finishJob(finished.job.id, "node-a", { status: "completed", result: 1 }, T0 + 3);
    const fresh = { job: job(), action: action("fresh") };
    const replay = await store.launchJobs([plain, keyed, finished, fresh]);
    expect(replay.map((r) => [r.job.id, r.created])).toEqual([
      [plain.job.id, false],
      [keyed.job.id, false],
      [finished.job.id, false],
      [fresh.job.id, true],
    ]);
    // Without dedup keys too (PostgreSQL inserts such a batch plainly first).
    const later = { job: job(), action: action("later") };
    const again = await store.launchJobs([later, plain, fresh]);
    expect(again.map((r) => [r.job.id, r.created])).toEqual([
      [later.job.id, true],
      [plain.job.id, false],
      [fresh.job.id, false],
    ]);
    expect((await store.launchJob(plain.job, plain.action)).created).toBe(false);
    const all = await store.listJobs({ ids: [plain.job.id, keyed.job.id, finished.job.id] });
    expect(all).toHaveLength(3);
    expect((await store.getJob(finished.job.id))?.status).toBe("completed");
    const actions = await store.listJobActions({ daemon: "library_watcher" });
    expect(actions.map((a) => a.reason).sort()).toEqual([
      "finished",
      "fresh",
      "keyed",
      "later",
      "plain",
    ]);
  });

  it("finishes several attempts in one call, each as finishJob would, and wakes jobs listeners", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await store.insertJob(job({ maxAttempts: 2 }))).job.id);
    await claim(store);
    const [done, retry, failed, cancelled, released, flagged] = ids as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    await store.cancelJob(flagged, "file deleted", T0 + 5);
    let wakeUps = 0;
    const stop = await store.listen("jobs", () => wakeUps++);
    const records = await store.finishJobs(
      "node-a",
      [
        { id: done, outcome: { status: "completed", result: { n: 1 } } },
        { id: retry, outcome: { status: "failed", error: "boom", retryAt: T0 + 500 } },
        { id: failed, outcome: { status: "failed", error: "bad", retryAt: null } },
        { id: cancelled, outcome: { status: "cancelled", error: "stop" } },
        { id: released, outcome: { status: "released" } },
        { id: flagged, outcome: { status: "failed", error: "aborted", retryAt: T0 + 500 } },
        { id: "job-unknown", outcome: { status: "completed", result: null } },
      ],
      T0 + 10,
    );
    expect(records.map((r) => r && [r.id, r.status])).toEqual([
      [done, "completed"],
      [retry, "pending"],
      [failed, "failed"],
      [cancelled, "cancelled"],
      [released, "pending"],
      [flagged, "cancelled"],
      null,
    ]);
    expect(records[0]).toMatchObject({ result: { n: 1 }, progress: 100, finishedAt: T0 + 10 });
    expect(records[1]).toMatchObject({ error: "boom", runAt: T0 + 500, attempts: 1 });
    expect(records[1]?.finishedAt).toBeNull();
    expect(records[2]).toMatchObject({ error: "bad", attempts: 1, finishedAt: T0 + 10 });
    expect(records[3]).toMatchObject({ error: "stop", finishedAt: T0 + 10 });
    expect(records[4]).toMatchObject({ attempts: 0, runAt: T0 + 10, error: null });
    expect(records[5]).toMatchObject({ error: "aborted", finishedAt: T0 + 10 });
    for (const r of records)
      if (r) expect(r).toMatchObject({ lockedBy: null, leaseExpiresAt: null });
    // Not held any more: nothing changes, nothing is returned.
    expect(
      await store.finishJobs("node-a", [{ id: done, outcome: { status: "released" } }], T0 + 20),
    ).toEqual([null]);
    await waitUntil(() => wakeUps > 0);
    await stop();
  });

  it("cancels a pending job at once and flags a running one", async () => {
    const { job: pending } = await store.insertJob(job());
    expect(await store.cancelJob(pending.id, "file deleted", T0 + 1)).toMatchObject({
      status: "cancelled",
      error: "file deleted",
      finishedAt: T0 + 1,
    });
    const { job: running } = await store.insertJob(job());
    await claim(store);
    expect(await store.cancelJob(running.id, "file deleted", T0 + 2)).toMatchObject({
      status: "running",
      cancelRequested: true,
    });
    expect(await store.renewJobLease(running.id, "node-a", 1000, T0 + 3)).toEqual({
      held: true,
      cancelRequested: true,
    });
    // A retry asked while a cancel is pending ends cancelled instead.
    const ended = await store.finishJob(
      running.id,
      "node-a",
      { status: "failed", error: "aborted", retryAt: T0 + 10 },
      T0 + 4,
    );
    expect(ended?.status).toBe("cancelled");
    expect(await store.cancelJob("nope", "x", T0)).toBeNull();
  });

  it("reclaims expired leases: back to pending, or failed when attempts are spent", async () => {
    const { job: a } = await store.insertJob(job({ maxAttempts: 2 }));
    const { job: b } = await store.insertJob(job({ maxAttempts: 1 }));
    await claim(store);
    expect(await store.reclaimJobs(T0 + 999)).toEqual([]);
    const reclaimed = await store.reclaimJobs(T0 + 1000);
    const byId = new Map(reclaimed.map((j) => [j.id, j]));
    expect(byId.get(a.id)).toMatchObject({ status: "pending", attempts: 1, lockedBy: null });
    expect(byId.get(a.id)?.error).toContain("lease expired: worker node-a");
    expect(byId.get(b.id)).toMatchObject({ status: "failed", attempts: 1, finishedAt: T0 + 1000 });
  });

  it("lists by status, type and daemon, and counts by type and status", async () => {
    await store.insertJob(job({ now: T0 }));
    await store.insertJob(job({ type: "other", launchedBy: "media_seeder", now: T0 + 1 }));
    const { job: c } = await store.insertJob(job({ now: T0 + 2 }));
    await store.cancelJob(c.id, "x", T0 + 3);
    expect((await store.listJobs()).map((j) => j.createdAt)).toEqual([T0 + 2, T0 + 1, T0]);
    expect(await store.listJobs({ status: "cancelled" })).toHaveLength(1);
    expect(
      await store.listJobs({ status: ["pending", "cancelled"], type: "metadata_generate" }),
    ).toHaveLength(2);
    expect(await store.listJobs({ launchedBy: "media_seeder" })).toHaveLength(1);
    expect(await store.listJobs({ limit: 1, order: "asc" })).toMatchObject([{ createdAt: T0 }]);
    expect(await store.countJobs()).toEqual({
      metadata_generate: { pending: 1, cancelled: 1 },
      other: { pending: 1 },
    });
  });

  it("records job actions and sweeps finished jobs with their actions", async () => {
    const { job: old } = await store.insertJob(job());
    const { job: live } = await store.insertJob(job());
    for (const [id, action, at] of [
      [old.id, "launched", T0],
      [old.id, "cancelled", T0 + 5],
      [live.id, "launched", T0 + 1],
    ] as const) {
      await store.addJobAction({ jobId: id, daemon: "w", action, reason: "r", at, node: "n" });
    }
    expect((await store.listJobActions({ jobId: old.id })).map((a) => a.action)).toEqual([
      "launched",
      "cancelled",
    ]);
    await store.cancelJob(old.id, "gone", T0 + 5);
    expect(await store.sweepJobs(T0 + 5)).toBe(0);
    expect(await store.sweepJobs(T0 + 6)).toBe(1);
    expect(await store.getJob(old.id)).toBeNull();
    expect(await store.listJobActions({ jobId: old.id })).toEqual([]);
    expect(await store.listJobActions({ daemon: "w" })).toHaveLength(1);
    expect(await store.getJob(live.id)).not.toBeNull();
  });

  it("finishAndClaimJobs ends attempts and claims in one call, not reclaiming what it sent back", async () => {
    for (let i = 0; i < 4; i++) await store.insertJob(job());
    const claim = (slots: number, now = T0) => ({
      slots: { metadata_generate: slots },
      worker: "node-a",
      leaseMs: 1000,
      now,
    });
    const first = await store.finishAndClaimJobs("node-a", [], claim(2), T0);
    expect(first.finished).toEqual([]);
    expect(first.claimed.map((j) => j.status)).toEqual(["running", "running"]);
    const [a, b] = first.claimed as unknown as [{ id: string }, { id: string }];
    const next = await store.finishAndClaimJobs(
      "node-a",
      [
        { id: a.id, outcome: { status: "completed", result: { ok: true } } },
        { id: b.id, outcome: { status: "released" } },
      ],
      claim(5, T0 + 10),
      T0 + 10,
    );
    expect(next.finished.map((j) => j?.status)).toEqual(["completed", "pending"]);
    expect(next.claimed.map((j) => j.id).sort()).not.toContain(b.id);
    expect(next.claimed).toHaveLength(2);
    expect(next.claimed.every((j) => j.leaseExpiresAt === T0 + 1010)).toBe(true);
    const none = await store.finishAndClaimJobs("node-a", [], null, T0 + 20);
    expect(none).toEqual({ finished: [], claimed: [] });
  });

  it("ends attempts whose claimed record the caller holds with the records a read returns", async () => {
    for (let i = 0; i < 6; i++) await store.insertJob(job({ payload: { i }, priority: i % 2 }));
    const slots = (n: number, now: number) => ({
      slots: { metadata_generate: n },
      worker: "node-a",
      leaseMs: 1000,
      now,
    });
    const held = (await store.finishAndClaimJobs("node-a", [], slots(5, T0), T0)).claimed;
    const [a, b, c, d, e] = held as [JobRecord, JobRecord, JobRecord, JobRecord, JobRecord];
    // Changed since the claim, by this worker or another process: read back, not taken from held.
    await store.setJobProgress(a.id, "node-a", 40, "halfway", T0 + 1);
    await store.cancelJob(b.id, "operator", T0 + 2);
    const outcome = (job: JobRecord, o: JobOutcome) => ({ id: job.id, outcome: o, held: job });
    // Alone, then with a claim riding along (one statement on PostgreSQL).
    const alone = await store.finishAndClaimJobs(
      "node-a",
      [
        outcome(a, { status: "completed", result: { ok: [1, 2] } }),
        outcome(b, { status: "failed", error: "flaky", retryAt: T0 + 100 }),
        outcome(c, { status: "failed", error: "boom", retryAt: T0 + 500 }),
      ],
      null,
      T0 + 3,
    );
    const ridden = await store.finishAndClaimJobs(
      "node-a",
      [
        outcome(d, { status: "released" }),
        outcome(e, { status: "failed", error: "bad", retryAt: null }),
        outcome(a, { status: "completed", result: 1 }), // ended already: not this worker's now
      ],
      slots(5, T0 + 4),
      T0 + 4,
    );
    expect(alone.finished.map((r) => r?.status)).toEqual(["completed", "cancelled", "pending"]);
    expect(ridden.finished.map((r) => r?.status)).toEqual(["pending", "failed", undefined]);
    expect(ridden.claimed).toHaveLength(1);
    for (const record of [...alone.finished, ...ridden.finished.slice(0, 2)])
      expect(record).toEqual(await store.getJob(record?.id as string));
  });
});
