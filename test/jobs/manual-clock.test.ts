import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualClock, type ManualClock } from "../../src/internal/clock.js";
import type { JobService } from "../../src/jobs/types.js";
import { defineJob } from "../../src/registry/define.js";
import { createStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { aborted, service } from "./helpers.js";

/** Runs `promise` to completion while advancing the manual clock in steps. */
async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 10): Promise<T> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let elapsed = 0; !settled && elapsed < 600_000; elapsed += stepMs)
    await clock.advance(stepMs);
  return promise;
}

describe("job service on a manual clock (memory store)", () => {
  let clock: ManualClock;
  let store: Store;
  let jobs: JobService;

  beforeEach(async () => {
    clock = createManualClock();
    store = createStore("memory:", { clock });
    await store.open();
  });
  afterEach(async () => {
    await jobs.stop(0);
    await store.close();
  });

  it("retries after 1 s, then 2 s (the default backoff), then gives up after maxAttempts", async () => {
    const startedAt: number[] = [];
    const failing = defineJob({
      type: "failing",
      run() {
        startedAt.push(clock.now());
        throw new Error("disk full");
      },
    });
    jobs = service(store, [failing], { clock, pollMs: 100, leaseMs: 10_000 });
    await jobs.start();
    const t0 = clock.now();
    const daemon = jobs.forDaemon("d");
    const done = await drive(
      clock,
      daemon.monitor(await daemon.launch("failing", {}, { reason: "x" })),
    );
    expect(done).toMatchObject({ status: "failed", attempts: 3, error: "disk full" });
    const gaps = startedAt.map((t, i) => t - (i === 0 ? t0 : (startedAt[i - 1] as number)));
    // Each retry waits its backoff, picked up by the next poll (every 100 ms).
    expect(gaps[1]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeLessThan(1200);
    expect(gaps[2]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeLessThan(2200);
  });

  it("times an attempt out on the injected clock", async () => {
    const hanging = defineJob({
      type: "hanging",
      timeout: "30s",
      maxAttempts: 1,
      run: (_p, ctx) => aborted(ctx.signal),
    });
    jobs = service(store, [hanging], { clock, pollMs: 100, leaseMs: 10_000 });
    await jobs.start();
    const daemon = jobs.forDaemon("d");
    const t0 = clock.now();
    const done = await drive(
      clock,
      daemon.monitor(await daemon.launch("hanging", {}, { reason: "x" })),
      500,
    );
    expect(done).toMatchObject({
      status: "failed",
      error: "JobTimeoutError: timed out after 30000 ms",
    });
    expect(clock.now() - t0).toBeGreaterThanOrEqual(30_000);
    expect(clock.now() - t0).toBeLessThan(31_000);
  });

  it("keeps the lease of a job running longer than it, renewing it every leaseMs / 3", async () => {
    const starts: number[] = [];
    const renewals: number[] = [];
    const renew = store.renewJobLease;
    store.renewJobLease = (id, worker, leaseMs, now) => {
      renewals.push(now);
      return renew(id, worker, leaseMs, now);
    };
    const slow = defineJob({
      type: "slow",
      run: async () => {
        starts.push(clock.now());
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 10_000));
        return "done";
      },
    });
    jobs = service(store, [slow], { clock, pollMs: 100, leaseMs: 3000 });
    await jobs.start();
    const daemon = jobs.forDaemon("d");
    const done = await drive(
      clock,
      daemon.monitor(await daemon.launch("slow", {}, { reason: "x" })),
    );
    expect(done).toMatchObject({ status: "completed", attempts: 1, result: "done" });
    expect(starts).toHaveLength(1);
    // Every 1 s from the attempt's start while it ran 10 s.
    expect(renewals.length).toBeGreaterThanOrEqual(9);
    expect(renewals.length).toBeLessThanOrEqual(10);
    expect((renewals[0] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(1000);
    expect((renewals[0] as number) - (starts[0] as number)).toBeLessThan(1100);
  });

  it("aborts a running job whose lease was taken from it, at its next renewal", async () => {
    const reasons: unknown[] = [];
    const held = defineJob({
      type: "held",
      run: async (_p, ctx) => {
        await aborted(ctx.signal);
        reasons.push(ctx.signal.reason);
      },
    });
    jobs = service(store, [held], { clock, pollMs: 100, leaseMs: 3000 });
    await jobs.start();
    const id = await jobs.forDaemon("d").launch("held", {}, { reason: "x" });
    await clock.advance(100);
    expect((await store.getJob(id))?.status).toBe("running");
    // Reclaimed as if its lease had run out: pending again, for whoever claims it next.
    await store.reclaimJobs(clock.now() + 3000);
    await drive(
      clock,
      (async () => {
        while (reasons.length === 0) await new Promise((resolve) => setImmediate(resolve));
      })(),
    );
    expect(String(reasons[0])).toContain("lease expired and was reclaimed");
    // The lost attempt wrote no outcome: the job is the next attempt's.
    expect(["pending", "running"]).toContain((await store.getJob(id))?.status);
  });

  it("reclaims a job whose worker stopped renewing, once its lease expired", async () => {
    const quick = defineJob({ type: "quick", run: () => "done" });
    jobs = service(store, [quick], { clock, pollMs: 100, leaseMs: 3000 });
    // A dead worker's claim: running, its lease running out in 3 s.
    await store.insertJob({
      id: "orphan",
      type: "quick",
      payload: {},
      priority: 0,
      maxAttempts: 3,
      runAt: clock.now(),
      dedupKey: null,
      launchedBy: "d",
      reason: "x",
      now: clock.now(),
    });
    await store.claimJobs({ slots: { quick: 1 }, worker: "dead", leaseMs: 3000, now: clock.now() });
    await jobs.start();
    await clock.advance(2900);
    expect((await store.getJob("orphan"))?.status).toBe("running");
    const done = await drive(clock, jobs.forDaemon("d").monitor("orphan"));
    expect(done).toMatchObject({ status: "completed", attempts: 2, result: "done" });
  });
});
