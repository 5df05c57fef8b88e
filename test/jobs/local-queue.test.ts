import { describe, expect, it } from "vitest";
import { z } from "zod";
import { JobPayloadError } from "../../src/jobs/errors.js";
import type { JobUpdate } from "../../src/jobs/types.js";
import { defineJob } from "../../src/registry/define.js";
import { type DatabaseKind, postgresAvailable } from "../store/helpers/databases.js";
import { aborted, serviceFixture, waitFor } from "./helpers.js";

// launchMany and the worker's local queue, on every store.
const kinds: DatabaseKind[] = ["sqlite", "memory"];
if (await postgresAvailable()) kinds.splice(1, 0, "postgres");

describe.each(kinds)("local queue and launchMany (%s)", (kind) => {
  const fx = serviceFixture(kind);
  const { start } = fx;

  it("launchMany launches one job per payload, ids in order, each with its launched action", async () => {
    const ran: number[] = [];
    const s = await start([
      defineJob({
        type: "thumb",
        concurrency: 3,
        payload: z.object({ n: z.number() }),
        run: (payload) => {
          ran.push(payload.n);
          return { n: payload.n };
        },
      }),
    ]);
    const jobs = s.forDaemon("scanner");
    const payloads = Array.from({ length: 25 }, (_, i) => ({ n: i }));
    const ids = await jobs.launchMany("thumb", payloads, { reason: "new folder", priority: 1 });
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    const done = await Promise.all(ids.map((id) => jobs.monitor(id)));
    expect(done.map((job) => job.result)).toEqual(payloads);
    expect(done.every((job) => job.status === "completed" && job.priority === 1)).toBe(true);
    expect([...ran].sort((a, b) => a - b)).toEqual(payloads.map((p) => p.n));
    for (const id of [ids[0], ids[24]] as string[]) {
      const actions = (await jobs.get(id))?.actions.map((a) => [a.action, a.daemon, a.reason]);
      expect(actions).toEqual([
        ["launched", "scanner", "new folder"],
        ["monitored", "scanner", "job ended completed"],
      ]);
    }
  });

  it("launchMany checks every payload first: one refused launches none", async () => {
    const s = await start([
      defineJob({ type: "thumb", payload: z.object({ n: z.number() }), run: () => {} }),
    ]);
    const jobs = s.forDaemon("scanner");
    await expect(
      jobs.launchMany("thumb", [{ n: 1 }, { n: "two" }], { reason: "x" }),
    ).rejects.toBeInstanceOf(JobPayloadError);
    expect(await s.list()).toEqual([]);
    expect(await jobs.launchMany("thumb", [], { reason: "x" })).toEqual([]);
  });

  it("claims ahead of its slots: queued jobs hold a lease, start as slots free, and a cancel ends one before it starts", async () => {
    const releases: (() => void)[] = [];
    const seen: JobUpdate[] = [];
    const s = await start([
      defineJob({
        type: "thumb",
        concurrency: 2,
        run: (_payload, ctx) =>
          new Promise<void>((resolve) => {
            releases.push(resolve);
            void aborted(ctx.signal).then(resolve);
          }),
      }),
    ]);
    s.on("status", (u) => seen.push(u));
    const jobs = s.forDaemon("scanner");
    const ids = await jobs.launchMany("thumb", [{}, {}, {}, {}, {}], { reason: "batch" });
    await waitFor(() => releases.length === 2, 5000, "two jobs to start");
    // Two running, two more claimed ahead (prefetch = concurrency), one still pending.
    const byStatus = async () => {
      const all = await s.list();
      return all.filter((j) => j.status === "running").length;
    };
    expect(await byStatus()).toBe(4);
    const queued = (await s.list({ status: "running" })).filter(
      (j) => !seen.some((u) => u.id === j.id && u.status === "running"),
    );
    expect(queued).toHaveLength(2);
    for (const job of queued) expect(job.leaseExpiresAt).not.toBeNull();
    // Cancelling a queued job ends it without running it.
    const victim = queued[0]?.id as string;
    await jobs.cancel(victim, "not needed");
    const cancelled = await jobs.monitor(victim);
    expect(cancelled).toMatchObject({ status: "cancelled", error: "not needed" });
    expect(seen.some((u) => u.id === victim && u.status === "running")).toBe(false);
    // The rest run as slots free.
    while (releases.length > 0) (releases.shift() as () => void)();
    const rest = ids.filter((id) => id !== victim);
    const timer = setInterval(() => {
      while (releases.length > 0) (releases.shift() as () => void)();
    }, 5);
    try {
      const done = await Promise.all(rest.map((id) => jobs.monitor(id)));
      expect(done.map((j) => j.status)).toEqual([
        "completed",
        "completed",
        "completed",
        "completed",
      ]);
    } finally {
      clearInterval(timer);
    }
  });

  it("a type whose jobs prove short claims further ahead: 39 per slot instead of 1", async () => {
    let calls = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const s = await start([
      // The first two attempts end at once (short), the rest wait at the gate.
      defineJob({ type: "tiny", concurrency: 2, run: () => (++calls <= 2 ? undefined : gate) }),
    ]);
    const ids = await s.forDaemon("scanner").launchMany(
      "tiny",
      Array.from({ length: 120 }, () => ({})),
      { reason: "batch" },
    );
    const count = async (status: "running" | "pending") => (await s.list({ status })).length;
    // Beyond 2 running + 2 × 1 queued, up to 2 running + 2 × 39 queued under lease; the rest stay
    // pending for other nodes. (How far it fills depends on how the launches arrive: SQL stores
    // take the 120 in one statement, the memory store in several.)
    // More than 19 per slot would ever hold (it claims again while it holds under half).
    await waitFor(async () => (await count("running")) > 40, 5000, "the longer prefetch");
    expect(await count("running")).toBeLessThanOrEqual(80);
    expect(await count("pending")).toBeGreaterThanOrEqual(38);
    open();
    const done = await Promise.all(ids.map((id) => s.forDaemon("scanner").monitor(id)));
    expect(done.every((job) => job.status === "completed")).toBe(true);
  });

  it("stop hands queued jobs back without counting their attempt", async () => {
    const s = await start([
      defineJob({
        type: "thumb",
        concurrency: 1,
        run: (_payload, ctx) => aborted(ctx.signal),
      }),
    ]);
    const ids = await s.forDaemon("scanner").launchMany("thumb", [{}, {}], { reason: "batch" });
    await waitFor(async () => (await s.list({ status: "running" })).length === 2, 5000, "claims");
    await s.stop(50);
    const jobs = await Promise.all(ids.map((id) => fx.store.getJob(id)));
    expect(jobs.map((j) => [j?.status, j?.attempts, j?.lockedBy])).toEqual([
      ["pending", 0, null],
      ["pending", 0, null],
    ]);
  });
});
