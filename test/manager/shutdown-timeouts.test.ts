// Shutdown as seed 004 describes it (issue 15, items 2 and 3): each daemon gets its own
// stopTimeout from the moment it is asked; `shutdown({ timeout })` bounds the whole and still asks
// every remaining daemon; RINGMASTER_DAEMON_SHUTDOWN_TIMEOUT sets the default stopTimeout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManager, type DaemonContext, defineConfig, defineDaemon } from "ringmaster";
import { createTestManager } from "ringmaster/testing";
import { describe, expect, it } from "vitest";
import { createStore } from "../../src/store/open.js";

const SECOND = 1000;

/** a ← b ← c, each with a 20 s cleanup; `asked` records when each cleanup began. */
function chain(asked: Record<string, number>) {
  const slowCleanup = (name: string) => (ctx: DaemonContext) => {
    asked[name] = ctx.clock.now();
    return new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 20 * SECOND));
  };
  return [
    defineDaemon({ name: "a", cleanup: slowCleanup("a") }),
    defineDaemon({ name: "b", dependsOn: ["a"], cleanup: slowCleanup("b") }),
    defineDaemon({ name: "c", dependsOn: ["b"], cleanup: slowCleanup("c") }),
  ];
}

describe("shutdown timeouts", () => {
  it("gives each daemon of a three-deep chain its own 30 s, so every 20 s cleanup finishes", async () => {
    const asked: Record<string, number> = {};
    const t = createTestManager(chain(asked));
    await t.start();
    const t0 = t.clock.now();
    const report = await t.shutdown();
    expect(report.unstopped).toEqual([]);
    expect(report.stopped.map((s) => [s.name, s.durationMs])).toEqual([
      ["c", 20 * SECOND],
      ["b", 20 * SECOND],
      ["a", 20 * SECOND],
    ]);
    expect([asked.c, asked.b, asked.a].map((at) => (at ?? 0) - t0)).toEqual([
      0,
      20 * SECOND,
      40 * SECOND,
    ]);
  });

  it("bounds the whole with shutdown({ timeout }) and still asks the root to stop", async () => {
    const asked: Record<string, number> = {};
    const t = createTestManager(chain(asked));
    await t.start();
    const t0 = t.clock.now();
    const done = await t.shutdown({ timeout: 30 * SECOND });
    expect(done.stopped.map((s) => s.name)).toEqual(["c"]);
    expect(done.unstopped).toEqual([
      {
        name: "a",
        reason:
          "asked to stop only when the shutdown timeout (30s) ran out; its stopTimeout runs from then",
      },
      { name: "b", reason: "still stopping when the shutdown timeout (30s) ran out" },
    ]);
    expect((asked.a ?? 0) - t0).toBe(30 * SECOND); // the root's cleanup did run
    expect(done.durationMs).toBeLessThan(35 * SECOND);
  });

  it("takes RINGMASTER_DAEMON_SHUTDOWN_TIMEOUT as the default stopTimeout", async () => {
    const stuck = defineDaemon({ name: "stuck", cleanup: () => new Promise(() => {}) });
    const patient = defineDaemon({
      name: "patient",
      stopTimeout: "10s",
      cleanup: (ctx) => new Promise((resolve) => ctx.clock.setTimeout(resolve, 5 * SECOND)),
    });
    const t = createTestManager([stuck, patient], {
      env: { RINGMASTER_DAEMON_SHUTDOWN_TIMEOUT: "2" },
    });
    await t.start();
    const report = await t.shutdown();
    expect(report.unstopped).toEqual([
      { name: "stuck", reason: "cleanup did not finish within 2s (stopTimeout)" },
    ]);
    expect(report.stopped).toEqual([{ name: "patient", durationMs: 5 * SECOND }]);
    expect(report.durationMs).toBeLessThan(6 * SECOND);
  });
});

describe("a daemon whose cleanup outlasts its stopTimeout", () => {
  it("is stopped with the reason in its status, its state change and its stored record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-unstopped-"));
    const url = `sqlite:${join(dir, "state.db")}`;
    const stuck = defineDaemon({
      name: "stuck",
      stopTimeout: "200ms",
      cleanup: () => new Promise(() => {}),
    });
    const manager = createManager(defineConfig({ store: url, daemons: [stuck] }), {
      logger: false,
    });
    const changes: Array<{ to: string; reason?: string }> = [];
    manager.on("daemon:state", ({ to, reason }) => {
      changes.push({ to, ...(reason ? { reason } : {}) });
    });
    await manager.start();
    expect(manager.status("stuck").unstopped).toBeNull();
    const reason = "cleanup did not finish within 200ms (stopTimeout)";
    const stopped = await manager.stopDaemon("stuck");
    expect(stopped).toMatchObject({ state: "stopped", unstopped: reason, lastError: reason });
    expect(changes.at(-1)).toEqual({ to: "stopped", reason });
    // A start clears it; a stop that times out again at shutdown says so again.
    await manager.startDaemon("stuck");
    expect(manager.status("stuck").unstopped).toBeNull();
    const report = await manager.shutdown();
    expect(report.unstopped).toEqual([{ name: "stuck", reason }]);
    expect(manager.status("stuck")).toMatchObject({ state: "stopped", unstopped: reason });
    const store = createStore(url);
    await store.open();
    expect(await store.loadDaemons()).toMatchObject([
      { name: "stuck", state: "stopped", lastError: reason },
    ]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
