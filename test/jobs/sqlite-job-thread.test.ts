import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineJob } from "../../src/registry/define.js";
import type { Store } from "../../src/store/types.js";
import { type TestDatabase, testDatabase } from "../store/helpers/databases.js";
import { service, waitFor } from "./helpers.js";

// The job threads SQLite stores start (their workerData carries the round's statements), so a
// test can kill one as a crash would.
const threads = vi.hoisted(() => [] as Worker[]);
vi.mock("node:worker_threads", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:worker_threads")>();
  class Watched extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      if ((args[1]?.workerData as { sql?: unknown } | undefined)?.sql) threads.push(this);
    }
  }
  return { ...actual, Worker: Watched };
});

const COUNT = 3000;

describe("a SQLite drain through the job thread", () => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.drop();
    threads.splice(0);
  });

  it("completes every job when the thread dies mid-drain: the failed round is retried, a new thread takes over", async () => {
    database = testDatabase("sqlite");
    store = database.store();
    await store.open();
    const jobs = service(store, [defineJob({ type: "noop", concurrency: 10, run: () => {} })], {
      leaseMs: 1000,
    });
    let completed = 0;
    jobs.on("status", (update) => {
      if (update.status === "completed") completed++;
    });
    const daemon = jobs.forDaemon("test");
    const ids: string[] = [];
    for (let i = 0; i < COUNT; i += 1000)
      ids.push(
        ...(await daemon.launchMany(
          "noop",
          Array.from({ length: 1000 }, (_, k) => ({ n: i + k })),
          { reason: "test" },
        )),
      );
    await jobs.start();
    try {
      await waitFor(() => threads.length > 0 && completed >= 500, 20_000, "a job thread at work");
      const killed = threads[0] as Worker;
      await killed.terminate();
      const s = store;
      const counts = async () => (await s.countJobs()).noop ?? {};
      await waitFor(
        async () => (await counts()).completed === COUNT,
        30_000,
        "every job completed",
      );
      // Another thread took the rounds over after the first died.
      expect(threads.length).toBeGreaterThanOrEqual(2);
      for (const id of ids.slice(0, 50)) {
        const actions = await s.listJobActions({ jobId: id });
        expect(actions.map((a) => a.action)).toContain("launched");
      }
      expect(await counts()).toEqual({ completed: COUNT });
    } finally {
      await jobs.stop(1000);
    }
  }, 60_000);

  it("closes the store only once its job thread has exited, so the process may exit at once", async () => {
    database = testDatabase("sqlite");
    const s = database.store();
    store = s;
    await s.open();
    const jobs = service(s, [defineJob({ type: "noop", concurrency: 10, run: () => {} })]);
    let completed = 0;
    jobs.on("status", (update) => {
      if (update.status === "completed") completed++;
    });
    await jobs.forDaemon("test").launchMany(
      "noop",
      Array.from({ length: 1000 }, (_, n) => ({ n })),
      { reason: "test" },
    );
    await jobs.start();
    await waitFor(() => threads.length > 0, 20_000, "a job thread started");
    await jobs.stop(1000);
    const thread = threads[0] as Worker;
    expect(thread.threadId).toBeGreaterThan(0); // still running until the store closes
    await s.close();
    // An exited worker's threadId is -1: nothing of the store is left for process.exit to cut.
    expect(thread.threadId).toBe(-1);
    expect(completed).toBeGreaterThan(0);
  }, 60_000);

  it("lets a process whose last step is closing the store exit by itself, code 0", async () => {
    const { spawn } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const fixture = fileURLToPath(new URL("./fixtures/sqlite-drain-close.ts", import.meta.url));
    database = testDatabase("sqlite");
    const url = database.url;
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", fixture, url]);
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
      });
      child.stderr.on("data", (chunk) => {
        out += chunk;
      });
      child.on("exit", (exitCode) => resolve({ code: exitCode, out: out.trim() }));
    });
    expect(out).toBe("closed");
    expect(code).toBe(0);
  }, 60_000);
});
