// The README's example in node:test: `node --import tsx --test test/testing/my-new-daemon.node-test.ts`
// (run from vitest by node-test.test.ts, so it stays green).
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineJob } from "ringmaster";
import { createTestManager } from "ringmaster/testing";
import { myNewDaemon } from "./my-new-daemon.js";

const metadataGenerate = defineJob({ type: "metadata_generate", run: () => "done" });

test("my_new_daemon runs a cycle and launches a job for the new files", async () => {
  const t = createTestManager(myNewDaemon, { jobs: [metadataGenerate] });
  try {
    await t.start();
    const cycle = await t.runCycle("my_new_daemon");
    assert.equal(cycle.ok, true);
    assert.equal(t.status("my_new_daemon").state, "running");
    assert.deepEqual(
      t.eventsOf("SCAN_COMPLETED").map((e) => e.payload),
      [{ found: 2 }, { found: 2 }],
    );
    assert.equal(t.jobs.length, 2);
  } finally {
    await t.shutdown();
  }
});

test("my_new_daemon is unhealthy after more than maxRetries failed scans", async () => {
  const t = createTestManager(myNewDaemon, {
    daemonConfig: { my_new_daemon: { source: "offline", maxRetries: 0 } },
  });
  try {
    await t.start();
    const health = await t.checkHealth("my_new_daemon");
    assert.equal(health.status, "unhealthy");
    assert.equal(health.message, "1 failed scans");
  } finally {
    await t.shutdown();
  }
});
