import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JobCancelledError, JobPayloadError, UnknownJobTypeError } from "../../src/jobs/errors.js";
import type { JobUpdate } from "../../src/jobs/types.js";
import { defineJob } from "../../src/registry/define.js";
import { type DatabaseKind, postgresAvailable } from "../store/helpers/databases.js";
import { aborted, service, serviceFixture, waitFor } from "./helpers.js";

const kinds: DatabaseKind[] = ["sqlite", "memory"];
if (await postgresAvailable()) kinds.splice(1, 0, "postgres");

const probe = z.object({ path: z.string().min(1), size: z.number().int().nonnegative() });

describe.each(kinds)("job service (%s)", (kind) => {
  const fx = serviceFixture(kind);
  const { start } = fx;

  it("launch → completed, with its result, progress and the launched and monitored actions", async () => {
    const seen: JobUpdate[] = [];
    const job = defineJob({
      type: "metadata_generate",
      payload: probe,
      async run(payload, ctx) {
        ctx.progress(50, "hashing");
        return { checksum: `sha-${payload.path}`, attempt: ctx.attempt };
      },
    });
    const s = await start([job]);
    s.on((u) => seen.push(u));
    const jobs = s.forDaemon("library_watcher");
    const id = await jobs.launch(
      "metadata_generate",
      { path: "a.mp4", size: 3 },
      { reason: "new file" },
    );
    const done = await jobs.monitor(id);
    expect(done).toMatchObject({
      id,
      status: "completed",
      result: { checksum: "sha-a.mp4", attempt: 1 },
      attempts: 1,
      progress: 100,
      launchedBy: "library_watcher",
      reason: "new file",
    });
    const withActions = await jobs.get(id);
    expect(withActions?.actions.map((a) => [a.action, a.daemon, a.reason])).toEqual([
      ["launched", "library_watcher", "new file"],
      ["monitored", "library_watcher", "job ended completed"],
    ]);
    expect(seen.map((u) => u.status)).toEqual(["pending", "running", "running", "completed"]);
    expect(seen.find((u) => u.message === "hashing")?.progress).toBe(50);
    // Monitoring a finished job resolves at once, and is recorded again.
    expect((await jobs.monitor(id)).status).toBe("completed");
    expect(await jobs.list({ status: "completed" })).toHaveLength(1);
  });

  it("retries a failed attempt after the backoff, then succeeds", async () => {
    const attempts: number[] = [];
    const flaky = defineJob({
      type: "flaky",
      maxAttempts: 3,
      backoff: { initialDelay: 30 },
      run(_payload, ctx) {
        attempts.push(ctx.attempt);
        if (ctx.attempt === 1) throw new Error("probe crashed");
        return "ok";
      },
    });
    const s = await start([flaky]);
    const jobs = s.forDaemon("d");
    const id = await jobs.launch("flaky", {}, { reason: "test" });
    const done = await jobs.monitor(id);
    expect(done).toMatchObject({ status: "completed", result: "ok", attempts: 2 });
    expect(done.error).toBe("probe crashed"); // the last failure is kept
    expect(attempts).toEqual([1, 2]);
    expect((done.finishedAt ?? 0) - done.createdAt).toBeGreaterThanOrEqual(30);
  });

  it("fails for good once the attempts are spent", async () => {
    const broken = defineJob({
      type: "broken",
      maxAttempts: 2,
      backoff: { initialDelay: 10 },
      run() {
        throw new Error("no codec");
      },
    });
    const s = await start([broken]);
    const done = await s
      .forDaemon("d")
      .monitor(await s.forDaemon("d").launch("broken", {}, { reason: "x" }));
    expect(done).toMatchObject({ status: "failed", attempts: 2, error: "no codec" });
  });

  it("aborts an attempt that runs past its timeout, and fails it", async () => {
    let sawAbort = false;
    const slow = defineJob({
      type: "slow",
      timeout: 100,
      maxAttempts: 1,
      async run(_p, ctx) {
        await aborted(ctx.signal);
        sawAbort = true;
        await new Promise((resolve) => setTimeout(resolve, 10_000)); // ignores it: still failed
      },
    });
    const s = await start([slow]);
    const jobs = s.forDaemon("d");
    const began = Date.now();
    const done = await jobs.monitor(await jobs.launch("slow", {}, { reason: "x" }));
    expect(done).toMatchObject({ status: "failed", attempts: 1 });
    expect(done.error).toContain("timed out after 100 ms");
    expect(sawAbort).toBe(true);
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it("cancels a pending job at once", async () => {
    const never = defineJob({ type: "later", run: () => "ran" });
    const s = await start([never]);
    const jobs = s.forDaemon("library_watcher");
    const id = await jobs.launch("later", {}, { reason: "new file", runAt: Date.now() + 60_000 });
    const monitored = jobs.monitor(id);
    const cancelled = await jobs.cancel(id, "file deleted");
    expect(cancelled).toMatchObject({ status: "cancelled", error: "file deleted" });
    expect((await monitored).status).toBe("cancelled");
    const actions = (await jobs.get(id))?.actions.map((a) => `${a.action}:${a.reason}`);
    expect(actions).toEqual([
      "launched:new file",
      "cancelled:file deleted",
      "monitored:job ended cancelled",
    ]);
  });

  it("cancels a running job: its signal aborts and it ends cancelled, not failed", async () => {
    let started = false;
    let reason: unknown;
    const long = defineJob({
      type: "long",
      maxAttempts: 3,
      async run(_p, ctx) {
        started = true;
        await aborted(ctx.signal);
        reason = ctx.signal.reason;
        throw ctx.signal.reason;
      },
    });
    const s = await start([long]);
    const jobs = s.forDaemon("d");
    const id = await jobs.launch("long", {}, { reason: "x" });
    await waitFor(() => started, 5000, "the job to start");
    await jobs.cancel(id, "file deleted");
    const done = await jobs.monitor(id);
    expect(done).toMatchObject({ status: "cancelled", attempts: 1, error: "file deleted" });
    expect(reason).toBeInstanceOf(JobCancelledError);
  });

  it("cancels a job running under another service (another process) through the store", async () => {
    let started = false;
    const long = defineJob({
      type: "long",
      async run(_p, ctx) {
        started = true;
        await aborted(ctx.signal);
        throw ctx.signal.reason;
      },
    });
    await start([long], { nodeId: "worker-node" });
    const other = fx.database.persistent ? fx.database.store() : fx.store;
    if (other !== fx.store) await other.open();
    const launcher = service(other, [long], { nodeId: "api-node", work: false });
    await launcher.start();
    try {
      const id = await launcher.forDaemon("d").launch("long", {}, { reason: "x" });
      await waitFor(() => started, 5000, "the job to start");
      expect((await launcher.cancel(id, "operator asked"))?.cancelRequested).toBe(true);
      const done = await launcher.forDaemon("d").monitor(id);
      expect(done).toMatchObject({ status: "cancelled", lockedBy: null });
      await expect(launcher.cancel(id, "again")).rejects.toThrow(
        /cannot cancel job .*: it is cancelled/,
      );
    } finally {
      await launcher.stop(1000);
      if (other !== fx.store) await other.close();
    }
  });

  it("aborts a job cancelled from another service on the job_cancels wake-up, long before its lease renewal", async () => {
    let started = false;
    const long = defineJob({
      type: "long",
      async run(_p, ctx) {
        started = true;
        await aborted(ctx.signal);
        throw ctx.signal.reason;
      },
    });
    // A 60 s lease renews every 20 s: only the wake-up can stop the job within the test.
    await start([long], { nodeId: "worker-node", leaseMs: 60_000 });
    const other = fx.database.persistent ? fx.database.store() : fx.store;
    if (other !== fx.store) await other.open();
    const launcher = service(other, [long], { nodeId: "api-node", work: false });
    await launcher.start();
    try {
      const id = await launcher.forDaemon("d").launch("long", {}, { reason: "x" });
      await waitFor(() => started, 5000, "the job to start");
      const began = Date.now();
      await launcher.cancel(id, "operator asked");
      const done = await launcher.forDaemon("d").monitor(id);
      expect(done).toMatchObject({ status: "cancelled", error: "operator asked" });
      expect(Date.now() - began).toBeLessThan(5000);
    } finally {
      await launcher.stop(1000);
      if (other !== fx.store) await other.close();
    }
  });

  it("rejects an invalid payload at launch with the zod message, storing nothing", async () => {
    const job = defineJob({ type: "metadata_generate", payload: probe, run: () => null });
    const s = await start([job]);
    const jobs = s.forDaemon("d");
    const launch = jobs.launch(
      "metadata_generate",
      { path: "a.mp4", size: "big" },
      { reason: "x" },
    );
    await expect(launch).rejects.toBeInstanceOf(JobPayloadError);
    await expect(launch).rejects.toThrow(
      /invalid payload for job "metadata_generate": size: Invalid input: expected number, received string/,
    );
    await expect(jobs.launch("metadata_generat", {}, { reason: "x" })).rejects.toThrow(
      new UnknownJobTypeError("metadata_generat", "metadata_generate").message,
    );
    expect(await jobs.list()).toEqual([]);
  });

  it("returns the live job for a dedup key instead of launching another", async () => {
    const later = defineJob({ type: "later", run: () => 1 });
    const s = await start([later]);
    const jobs = s.forDaemon("d");
    const runAt = Date.now() + 60_000;
    const a = await jobs.launch("later", {}, { reason: "x", dedupKey: "a.mp4", runAt });
    const b = await jobs.launch("later", {}, { reason: "y", dedupKey: "a.mp4", runAt });
    expect(b).toBe(a);
    expect((await jobs.get(a))?.actions).toHaveLength(1);
    await jobs.cancel(a, "done");
    expect(await jobs.launch("later", {}, { reason: "z", dedupKey: "a.mp4", runAt })).not.toBe(a);
  });

  it("sweeps finished jobs once they are older than the retention", async () => {
    const quick = defineJob({ type: "quick", run: () => 1 });
    const s = await start([quick], { retentionMs: 200 });
    const jobs = s.forDaemon("d");
    const id = await jobs
      .monitor(await jobs.launch("quick", {}, { reason: "x" }))
      .then((j) => j.id);
    const live = await jobs.launch("quick", {}, { reason: "x", runAt: Date.now() + 60_000 });
    expect(await s.sweep()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await s.sweep()).toBe(1);
    expect(await jobs.get(id)).toBeUndefined();
    expect(await jobs.get(live)).toBeDefined();
  });

  it("hands running jobs back on stop without counting the attempt", async () => {
    let started = false;
    const stuck = defineJob({
      type: "stuck",
      async run(_p, ctx) {
        started = true;
        await aborted(ctx.signal);
      },
    });
    const s = service(fx.store, [stuck]);
    await s.start();
    const id = await s.forDaemon("d").launch("stuck", {}, { reason: "x" });
    await waitFor(() => started, 5000, "the job to start");
    await s.stop(50);
    expect(await fx.store.getJob(id)).toMatchObject({
      status: "pending",
      attempts: 0,
      lockedBy: null,
    });
  });

  it("runs at most `concurrency` jobs of a type at once and reports stats", async () => {
    let now = 0;
    let peak = 0;
    const limited = defineJob({
      type: "limited",
      concurrency: 2,
      async run() {
        peak = Math.max(peak, ++now);
        await new Promise((resolve) => setTimeout(resolve, 30));
        now--;
      },
    });
    const s = await start([limited]);
    const jobs = s.forDaemon("d");
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => jobs.launch("limited", {}, { reason: "x" })),
    );
    for (const id of ids) await jobs.monitor(id);
    expect(peak).toBe(2);
    s.stats();
    await waitFor(() => s.stats().byStatus.completed === 6, 5000, "the counts");
    expect(s.stats()).toMatchObject({
      byStatus: { completed: 6, pending: 0 },
      byType: { limited: { completed: 6 } },
      durations: { limited: { count: 6 } },
    });
  });
});
