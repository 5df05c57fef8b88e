import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineJob } from "../../src/registry/define.js";
import type { Store } from "../../src/store/types.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "../store/helpers/databases.js";
import { service, waitFor } from "./helpers.js";

// Real processes sharing one database: SQLite file and PostgreSQL (memory cannot be shared).
const kinds: DatabaseKind[] = ["sqlite"];
if (await postgresAvailable()) kinds.push("postgres");

const FIXTURE = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url));
// Launching needs the type's spec; this side never runs it (work: false).
const crunch = defineJob({ type: "crunch", maxAttempts: 3, run: () => null });

describe.each(kinds)("jobs across processes (%s)", (kind) => {
  let database: TestDatabase;
  let store: Store;
  let dir: string;
  let execFile: string;
  const children: ChildProcess[] = [];

  const executions = (): string[][] =>
    existsSync(execFile)
      ? readFileSync(execFile, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => line.split(" "))
      : [];

  /** Spawns a worker process and resolves once it is ready. */
  const worker = async (env: Record<string, string>): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      env: {
        ...process.env,
        STORE_URL: database.url,
        PG_SCHEMA: (database.options.schema as string | undefined) ?? "",
        EXEC_FILE: execFile,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (chunk) => {
        if (String(chunk).includes("ready")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
    });
    return child;
  };

  beforeEach(async () => {
    database = testDatabase(kind);
    store = database.store();
    await store.open();
    dir = mkdtempSync(join(tmpdir(), "ringmaster-jobs-"));
    execFile = join(dir, "executions.txt");
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
      }
    }
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reclaims the job of a worker killed with kill -9 after its lease, and another process completes it", async () => {
    const launcher = service(store, [crunch], { nodeId: "launcher", work: false });
    await launcher.start();
    try {
      const jobs = launcher.forDaemon("library_watcher");
      const first = await worker({ MODE: "hang", LEASE_MS: "1000" });
      const id = await jobs.launch("crunch", { file: "a.mp4" }, { reason: "new file" });
      await waitFor(() => executions().length === 1, 10_000, "the first worker to start the job");
      const claimed = await store.getJob(id);
      expect(claimed).toMatchObject({
        status: "running",
        attempts: 1,
        lockedBy: `worker-${first.pid}`,
      });

      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));
      const second = await worker({ MODE: "work", LEASE_MS: "1000" });

      const done = await jobs.monitor(id);
      expect(done).toMatchObject({
        status: "completed",
        attempts: 2,
        result: { pid: second.pid, payload: { file: "a.mp4" } },
      });
      expect(done.error).toContain(`lease expired: worker worker-${first.pid}`);
      // Not before the dead worker's lease ran out (leases only ever move later).
      expect(done.startedAt ?? 0).toBeGreaterThanOrEqual(claimed?.leaseExpiresAt ?? Infinity);
      expect(executions().map(([, pid]) => Number(pid))).toEqual([first.pid, second.pid]);
      const actions = (await jobs.get(id))?.actions.map((a) => a.action);
      expect(actions).toEqual(["launched", "monitored"]);
    } finally {
      await launcher.stop(1000);
    }
  });

  it("two processes drain one queue and no job runs twice", async () => {
    const launcher = service(store, [crunch], { nodeId: "launcher", work: false });
    await launcher.start();
    try {
      const jobs = launcher.forDaemon("d");
      const [a, b] = await Promise.all([
        worker({ CONCURRENCY: "4", JOB_MS: "20" }),
        worker({ CONCURRENCY: "4", JOB_MS: "20" }),
      ]);
      const ids: string[] = [];
      for (let i = 0; i < 60; i++)
        ids.push(await jobs.launch("crunch", { i }, { reason: "batch" }));
      await waitFor(
        async () => (await store.listJobs({ status: "completed", limit: 1000 })).length === 60,
        30_000,
        "every job to complete",
      );
      const runs = new Map<string, number>();
      for (const [id] of executions()) runs.set(id as string, (runs.get(id as string) ?? 0) + 1);
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
      const pids = new Set(executions().map(([, pid]) => Number(pid)));
      expect(pids).toEqual(new Set([a.pid, b.pid]));
      const finished = await store.listJobs({ limit: 1000 });
      expect(finished.every((j) => j.attempts === 1)).toBe(true);
    } finally {
      await launcher.stop(1000);
    }
  });

  it("reclaims the jobs a worker killed with kill -9 had claimed ahead (queued, never started) like its running one", async () => {
    const launcher = service(store, [crunch], { nodeId: "launcher", work: false });
    await launcher.start();
    try {
      const jobs = launcher.forDaemon("library_watcher");
      const first = await worker({ MODE: "hang", LEASE_MS: "1000", CONCURRENCY: "1" });
      const ids = await jobs.launchMany("crunch", [{ n: 1 }, { n: 2 }], { reason: "batch" });
      await waitFor(
        async () => (await store.listJobs({ status: "running" })).length === 2,
        10_000,
        "the first worker to claim both (one running, one queued)",
      );
      await waitFor(() => executions().length === 1, 10_000, "the first job to start");
      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));
      const second = await worker({ MODE: "work", LEASE_MS: "1000", CONCURRENCY: "1" });
      const done = await Promise.all(ids.map((id) => jobs.monitor(id)));
      for (const job of done) {
        expect(job).toMatchObject({ status: "completed", attempts: 2 });
        expect(job.error).toContain(`lease expired: worker worker-${first.pid}`);
      }
      const pids = executions().map(([, pid]) => Number(pid));
      expect(pids).toEqual([first.pid, second.pid, second.pid]);
    } finally {
      await launcher.stop(1000);
    }
  });
});
