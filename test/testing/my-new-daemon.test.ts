// The README's example: testing one's own daemon with ringmaster/testing in vitest.
import { categories, defineConfig, defineJob, registryHealth } from "ringmaster";
import { createTestManager } from "ringmaster/testing";
import { describe, expect, it } from "vitest";
import { myNewDaemon } from "./my-new-daemon.js";

// A stub handler, so launches succeed without running the real work.
const metadataGenerate = defineJob({ type: "metadata_generate", run: () => "done" });

describe("my_new_daemon", () => {
  it("starts, runs a cycle every interval, publishes and launches", async () => {
    await using t = createTestManager(myNewDaemon, { jobs: [metadataGenerate] });
    const report = await t.start();
    expect(report.running).toEqual(["my_new_daemon"]);
    expect(t.status("my_new_daemon").cycles).toBe(1); // the first cycle runs at start

    const cycle = await t.runCycle("my_new_daemon");
    expect(cycle.ok).toBe(true);
    expect(t.status("my_new_daemon").cycles).toBe(2);
    expect(t.eventsOf("SCAN_COMPLETED").map((e) => e.payload)).toEqual([
      { found: 2 },
      { found: 2 },
    ]);
    expect(t.jobs.map((j) => [j.type, j.payload, j.options.reason])).toEqual([
      ["metadata_generate", { count: 2 }, "new files"],
      ["metadata_generate", { count: 2 }, "new files"],
    ]);
    expect(t.logsOf("my_new_daemon").map((l) => l.message)).toContain("scan done");
  });

  it("reads its config from the environment", async () => {
    await using t = createTestManager(myNewDaemon, {
      env: { RINGMASTER_MY_NEW_DAEMON_INTERVAL: "30", RINGMASTER_MY_NEW_DAEMON_NEW_FILES: "0" },
    });
    await t.start();
    expect(t.status("my_new_daemon").schedule.interval).toBe(30_000);
    await t.runCycle("my_new_daemon");
    expect(t.jobs).toEqual([]);
  });

  it("is healthy while scans work, unhealthy after more than maxRetries failures", async () => {
    await using t = createTestManager(myNewDaemon, {
      daemonConfig: { my_new_daemon: { source: "offline", maxRetries: 1 } },
    });
    await t.start();
    expect(await t.checkHealth("my_new_daemon")).toMatchObject({ status: "healthy" });
    const failed = await t.runCycle("my_new_daemon");
    expect(failed).toMatchObject({ ok: false, error: "cannot reach offline" });
    expect(await t.checkHealth("my_new_daemon")).toMatchObject({
      status: "unhealthy",
      message: "2 failed scans",
    });
  });

  it("is registered and the registry validates", () => {
    const config = defineConfig({ daemons: [myNewDaemon] });
    expect(categories(config)).toEqual(["pipeline"]);
    expect(registryHealth(config)).toMatchObject({ healthy: true, errors: [] });
  });
});
