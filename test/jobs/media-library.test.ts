import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mediaLibraryConfig } from "../../examples/media-library/fleet.js";
import {
  createLibraryWatcher,
  watcherConfig,
} from "../../examples/media-library/library-watcher.js";
import { metadataGenerate } from "../../examples/media-library/metadata-generate.js";
import { systemClock } from "../../src/internal/clock.js";
import type { JobService } from "../../src/jobs/types.js";
import type { DaemonContext } from "../../src/registry/types.js";
import { validateConfig } from "../../src/registry/validate.js";
import { createStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/types.js";
import { nodeInfo, service, waitFor } from "./helpers.js";

describe("the media library example", () => {
  let dir: string;
  let store: Store;
  let jobs: JobService;
  let stop: AbortController;

  /** The watcher's ctx, as the manager would build it (config resolved, jobs from the service). */
  const context = (probeMs: number) =>
    ({
      name: "library_watcher",
      config: Object.freeze(watcherConfig.parse({ dir, probeMs })),
      log: { debug() {}, info() {}, warn() {}, error() {} },
      signal: stop.signal,
      ready() {},
      heartbeat() {},
      sleep: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
      events: { publish: () => ({}) as never, subscribe: () => () => {} },
      jobs: jobs.forDaemon("library_watcher"),
      stats: {
        cycles: 0,
        cycleErrors: 0,
        consecutiveErrors: 0,
        lastCycleAt: null,
        lastCycleDurationMs: null,
      },
      node: nodeInfo("node-a"),
      clock: systemClock,
    }) as unknown as DaemonContext<never>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "ringmaster-media-"));
    store = createStore(`sqlite:${join(dir, "state.db")}`, { pollIntervalMs: 20 });
    await store.open();
    jobs = service(store, [metadataGenerate]);
    await jobs.start();
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await jobs.stop(1000);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is a valid config with the watcher, the seeder and the metadata job", () => {
    const config = mediaLibraryConfig({ dir });
    expect(validateConfig(config).errors).toEqual([]);
    expect(config.daemons.map((d) => d.name)).toEqual(["library_watcher", "media_seeder"]);
    expect(config.jobs.map((j) => j.type)).toEqual(["metadata_generate"]);
  });

  it("launches a job per new or changed file, monitors it, and cancels the job of a deleted file", async () => {
    const watcher = createLibraryWatcher();
    const ctx = context(50);
    await watcher.setup?.(ctx);
    const a = join(dir, "a.mp4");
    const b = join(dir, "b.mkv");
    writeFileSync(a, "first version of a");
    writeFileSync(b, "b");
    writeFileSync(join(dir, "notes.txt"), "not media");
    await watcher.cycle?.(ctx);

    let all = await jobs.list({ type: "metadata_generate" });
    expect(all.map((j) => (j.payload as { path: string }).path).sort()).toEqual([a, b]);
    await waitFor(
      async () => (await jobs.list({ status: "completed" })).length === 2,
      10_000,
      "both jobs to complete",
    );
    const jobA = all.find((j) => (j.payload as { path: string }).path === a);
    const doneA = await jobs.get(jobA?.id as string);
    expect(doneA?.result).toMatchObject({ path: a, size: 18, codec: "h264" });
    expect((doneA?.result as { sha256?: string } | undefined)?.sha256).toMatch(/^[0-9a-f]{64}$/);
    await waitFor(async () => ((await jobs.get(jobA?.id as string))?.actions.length ?? 0) === 2);
    expect((await jobs.get(jobA?.id as string))?.actions.map((x) => [x.action, x.reason])).toEqual([
      ["launched", "new file"],
      ["monitored", "job ended completed"],
    ]);

    // Nothing changed: no new jobs.
    await watcher.cycle?.(ctx);
    expect(await jobs.list()).toHaveLength(2);

    // A changed file gets a new job; a deleted file's live job is cancelled.
    const slow = context(60_000);
    writeFileSync(a, "second, longer version of a");
    await watcher.cycle?.(slow);
    all = await jobs.list({ status: ["pending", "running"] });
    expect(all).toHaveLength(1);
    const second = all[0];
    expect((await jobs.get(second?.id as string))?.actions[0]).toMatchObject({
      action: "launched",
      reason: "file changed",
    });
    await waitFor(async () => (await jobs.get(second?.id as string))?.status === "running");
    rmSync(a);
    await watcher.cycle?.(slow);
    await waitFor(
      async () => (await jobs.get(second?.id as string))?.status === "cancelled",
      10_000,
      "the deleted file's job to be cancelled",
    );
    const cancelled = await jobs.get(second?.id as string);
    expect(cancelled?.error).toBe("file deleted");
    await waitFor(async () => ((await jobs.get(second?.id as string))?.actions.length ?? 0) === 3);
    expect(
      (await jobs.get(second?.id as string))?.actions.map((x) => [x.action, x.reason]),
    ).toEqual([
      ["launched", "file changed"],
      ["cancelled", "file deleted"],
      ["monitored", "job ended cancelled"],
    ]);
  });

  it("does not relaunch files an earlier run already described", async () => {
    writeFileSync(join(dir, "a.mp4"), "a");
    const first = createLibraryWatcher();
    const ctx = context(10);
    await first.setup?.(ctx);
    await first.cycle?.(ctx);
    await waitFor(async () => (await jobs.list({ status: "completed" })).length === 1);
    const restarted = createLibraryWatcher();
    await restarted.setup?.(ctx);
    await restarted.cycle?.(ctx);
    expect(await jobs.list()).toHaveLength(1);
  });
});
