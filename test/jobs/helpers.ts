import pino from "pino";
import { afterEach, beforeEach } from "vitest";
import { type Clock, systemClock } from "../../src/internal/clock.js";
import { createJobService } from "../../src/jobs/service.js";
import type { JobService, JobServiceOptions } from "../../src/jobs/types.js";
import type { JobSpec, NodeInfo } from "../../src/registry/types.js";
import type { Store } from "../../src/store/types.js";
import { type DatabaseKind, type TestDatabase, testDatabase } from "../store/helpers/databases.js";

export const silent = pino({ level: "silent" });

export const nodeInfo = (id: string): NodeInfo => ({
  id,
  host: "test",
  pid: process.pid,
  profile: null,
});

/** A job service on `store` with short real-time settings, as tests use it. */
export function service(
  store: Store,
  jobs: JobSpec[],
  over: Partial<JobServiceOptions> & { clock?: Clock; nodeId?: string } = {},
): JobService {
  const { nodeId, ...rest } = over;
  return createJobService({
    store,
    clock: systemClock,
    jobs,
    node: nodeInfo(nodeId ?? "node-a"),
    logger: silent,
    leaseMs: 1000,
    pollMs: 50,
    progressThrottleMs: 20,
    ...rest,
  });
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "a condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves when `signal` aborts. */
export const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

/**
 * Call in a `describe` over a store kind: a fresh test database for each test, opened before it
 * and dropped after, and `start(jobs)` for job services on it that are stopped after the test.
 */
export function serviceFixture(kind: DatabaseKind) {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  const services: JobService[] = [];
  beforeEach(async () => {
    database = testDatabase(kind);
    store = database.store();
    await store.open();
  });
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop(1000);
    await store?.close();
    await database?.drop();
  });
  return {
    get database(): TestDatabase {
      return database as TestDatabase;
    },
    get store(): Store {
      return store as Store;
    },
    /** A started job service on this test's store (see {@link service}). */
    async start(jobs: JobSpec[], over: Parameters<typeof service>[2] = {}): Promise<JobService> {
      const s = service(store as Store, jobs, over);
      services.push(s);
      await s.start();
      return s;
    },
  };
}
