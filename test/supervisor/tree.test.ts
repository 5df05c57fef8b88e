import {
  createEventBus,
  createGraph,
  createManualClock,
  type DaemonContext,
  type DaemonSpec,
  defineConfig,
  defineDaemon,
  type ManualClock,
  resolveConfig,
} from "ringmaster";
import { describe, expect, it } from "vitest";
import { createBaseLogger, createDaemonLogger } from "../../src/supervisor/logger.js";
import { createSupervisionTree } from "../../src/supervisor/tree.js";
import { drive } from "../helpers.js";

const noJobs = () => Promise.reject(new Error("no jobs here"));

/** A supervision tree over `daemons` on a manual clock: no store, no server, no manager. */
function tree(daemons: DaemonSpec[], startup: "parallel" | "sequential" = "parallel") {
  const clock: ManualClock = createManualClock();
  const config = defineConfig({ daemons, store: "memory:", http: false });
  const resolved = [...resolveConfig(config, { env: {} }).daemons.values()];
  const base = createBaseLogger(false);
  const log: string[] = [];
  const t = createSupervisionTree({
    graph: createGraph(resolved.map((d) => d.spec)),
    clock,
    daemons: resolved,
    startup,
    startupOrder: config.startupOrder,
    host: {
      clock,
      bus: createEventBus({ clock }),
      node: { id: "test", host: "test", pid: 0, profile: null },
      jobsFor: () => ({
        launch: noJobs,
        launchMany: noJobs,
        monitor: noJobs,
        cancel: noJobs,
        get: noJobs,
        list: noJobs,
      }),
      createLog: (name) => createDaemonLogger(base, name, () => {}),
      emit: (event, payload) => {
        if (event === "daemon:state") {
          const p = payload as { name: string; to: string };
          log.push(`${p.name}:${p.to}`);
        }
      },
      listening: {},
    },
  });
  const state = (name: string) => t.sup(name).state;
  return { clock, tree: t, log, state };
}

/** A daemon whose setup takes `ms` of manual time. */
const slow = (name: string, ms: number, extra: Record<string, unknown> = {}) =>
  defineDaemon({ name, setup: (ctx: DaemonContext) => ctx.sleep(ms), ...extra } as never);

describe("the supervision tree", () => {
  it("pulls in dependencies: requested and desired sets differ", async () => {
    const a = slow("a", 0);
    const b = slow("b", 0, { dependsOn: ["a"] });
    const c = slow("c", 0);
    const { clock, tree: t } = tree([a, b, c]);
    const targets = await drive(clock, t.startSet(["b"], clock.now()));
    expect(targets.sort()).toEqual(["a", "b"]);
    expect({
      requested: ["a", "b", "c"].filter(t.isRequested),
      desired: ["a", "b", "c"].filter(t.isDesired),
      pulledIn: t.pulledInBy("a"),
    }).toEqual({ requested: ["b"], desired: ["a", "b"], pulledIn: ["b"] });
    expect(t.sup("c").state).toBe("stopped");
  });

  it("starts independent daemons together along the graph (parallel)", async () => {
    const a = slow("a", 1_000);
    const b = slow("b", 1_000);
    const c = slow("c", 1_000, { dependsOn: ["a", "b"] });
    const { clock, tree: t } = tree([a, b, c]);
    const t0 = clock.now();
    await drive(clock, t.startSet(["c"], t0), 100);
    const readyAt = (n: string) => (t.sup(n).readyAt ?? 0) - t0;
    expect([readyAt("a"), readyAt("b"), readyAt("c")]).toEqual([1_000, 1_000, 2_000]);
  });

  it("starts one at a time in sequential start-up", async () => {
    const a = slow("a", 1_000);
    const b = slow("b", 1_000);
    const { clock, tree: t } = tree([a, b], "sequential");
    const t0 = clock.now();
    await drive(clock, t.startSet(["a", "b"], t0), 100);
    expect([(t.sup("a").readyAt ?? 0) - t0, (t.sup("b").readyAt ?? 0) - t0]).toEqual([
      1_000, 2_000,
    ]);
  });

  it("stops the dependents of a failed dependency and starts them again when it runs", async () => {
    let failing = false;
    const a = defineDaemon({
      name: "a",
      interval: "1s",
      maxConsecutiveErrors: 0,
      restart: { policy: "on-failure", maxRestarts: 0 },
      cycle() {
        if (failing) throw new Error("boom");
      },
    });
    const b = slow("b", 0, { dependsOn: ["a"] });
    const { clock, tree: t, log, state } = tree([a, b]);
    await drive(clock, t.startSet(["b"], clock.now()));
    failing = true;
    await clock.advance(1_000);
    await clock.advance(10);
    expect([state("a"), state("b")]).toEqual(["failed", "waiting"]);
    failing = false;
    log.length = 0;
    await drive(clock, t.startOne("a"));
    await clock.advance(10);
    expect([state("a"), state("b")]).toEqual(["running", "running"]);
    expect(log.filter((l) => l.startsWith("b:"))).toEqual(["b:starting", "b:running"]);
  });

  it("shuts down in reverse dependency order, dependents first", async () => {
    const stops: string[] = [];
    const stopping = (name: string, dependsOn: string[] = []) =>
      defineDaemon({ name, dependsOn, cleanup: () => void stops.push(name) });
    const { clock, tree: t } = tree([stopping("a"), stopping("b", ["a"]), stopping("c", ["b"])]);
    await drive(clock, t.startSet(["c"], clock.now()));
    const report = await drive(clock, t.shutdownAll(30_000));
    expect(stops).toEqual(["c", "b", "a"]);
    expect(report.stopped.map((s) => s.name)).toEqual(["c", "b", "a"]);
    expect(report.unstopped).toEqual([]);
    await expect(t.startOne("a")).rejects.toThrow(/shutting down/);
  });

  it("names a daemon still stopping when the shutdown timeout runs out", async () => {
    const stuck = defineDaemon({
      name: "stuck",
      stopTimeout: 60_000,
      cleanup: () => new Promise(() => {}),
    });
    const { clock, tree: t } = tree([stuck]);
    await drive(clock, t.startSet(["stuck"], clock.now()));
    const report = await drive(clock, t.shutdownAll(5_000), 100);
    expect(report.unstopped).toEqual([
      { name: "stuck", reason: "still stopping when the shutdown timeout (5s) ran out" },
    ]);
  });
});
