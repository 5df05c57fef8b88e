import {
  createManager,
  createManualClock,
  type EventEnvelope,
  type ManualClock,
  validateConfig,
} from "ringmaster";
import { describe, expect, it } from "vitest";
import {
  PROFILES,
  STARTUP_ORDER,
  trainingPipelineConfig,
} from "../../examples/training-pipeline/fleet.js";
import { seededRandom } from "../../examples/training-pipeline/random.js";
import { inspectManager } from "../../src/manager/internal-access.js";

/** The seeds' start-order table (seeds/003), positions 1–21, with its dependencies. */
const SEED_TABLE: Record<string, string[]> = {
  event_router: [],
  daemon_watchdog: ["event_router"],
  data_pipeline: ["event_router"],
  feedback_loop: ["event_router"],
  auto_sync: ["event_router", "data_pipeline", "feedback_loop"],
  queue_populator: ["event_router", "selfplay_coordinator"],
  work_queue_monitor: ["event_router", "queue_populator"],
  coordinator_health_monitor: ["event_router"],
  idle_resource: ["event_router"],
  training_trigger: ["event_router", "auto_export"],
  cluster_monitor: ["event_router"],
  node_health_monitor: ["event_router"],
  health_server: ["event_router"],
  cluster_watchdog: ["event_router", "cluster_monitor"],
  node_recovery: ["event_router"],
  quality_monitor: ["event_router"],
  distillation: ["event_router"],
  evaluation: ["event_router"],
  unified_promotion: ["event_router"],
  auto_promotion: ["event_router", "evaluation"],
  model_distribution: ["event_router", "evaluation", "auto_promotion"],
};

function fleet(seed = 7) {
  const clock: ManualClock = createManualClock();
  const config = trainingPipelineConfig({
    random: seededRandom(seed),
    store: "memory:",
    http: false,
  });
  const manager = createManager(config, { clock, logger: false, env: {} });
  return { clock, config, manager };
}

/** Advances the manual clock in `step` ms steps until `done()` or `maxMs` of simulated time. */
async function advanceUntil(clock: ManualClock, done: () => boolean, maxMs: number, step = 250) {
  for (let t = 0; t < maxMs && !done(); t += step) await clock.advance(step);
  return done();
}

async function startAndSettle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  let failure: unknown;
  promise.then(
    (value) => {
      result = { value };
    },
    (error) => {
      failure = error ?? new Error("rejected");
    },
  );
  await advanceUntil(clock, () => result !== undefined || failure !== undefined, 60_000, 50);
  if (failure) throw failure;
  if (!result) throw new Error("still pending after 60 s of simulated time");
  return result.value;
}

describe("the training-pipeline example", () => {
  it("passes validateConfig with no errors; the only warning is the deprecated daemon", () => {
    const result = validateConfig(trainingPipelineConfig());
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.code)).toEqual(["deprecated"]);
    expect(result.warnings[0]?.subject).toBe("node_health_monitor");
  });

  it("declares the 21 daemons of the seeds' table with exactly the table's dependencies", () => {
    const { daemons } = trainingPipelineConfig();
    const byName = new Map(daemons.map((d) => [d.name, d]));
    for (const [name, deps] of Object.entries(SEED_TABLE)) {
      expect(byName.get(name)?.dependsOn, name).toEqual(deps);
    }
    expect(byName.get("auto_sync")?.dependsOn).toEqual([
      "event_router",
      "data_pipeline",
      "feedback_loop",
    ]);
    expect(byName.get("model_distribution")?.dependsOn).toEqual([
      "event_router",
      "evaluation",
      "auto_promotion",
    ]);
    expect(byName.get("training_trigger")?.dependsOn).toEqual(["event_router", "auto_export"]);
    expect(byName.get("node_health_monitor")?.deprecated).toMatch(/superseded/);
  });

  it("keeps the table's order in startupOrder, with the extra daemons inserted before their dependents", () => {
    const order = trainingPipelineConfig().startupOrder ?? [];
    const tableOrder = order.filter((n) => n in SEED_TABLE);
    expect(tableOrder).toEqual(Object.keys(SEED_TABLE));
    expect(order.indexOf("selfplay_coordinator")).toBeLessThan(order.indexOf("queue_populator"));
    expect(order.indexOf("auto_export")).toBeLessThan(order.indexOf("training_trigger"));
    expect(new Set(order)).toEqual(new Set(trainingPipelineConfig().daemons.map((d) => d.name)));
  });

  it("has the seeds' profiles plus ephemeral, full and minimal", () => {
    expect(Object.keys(PROFILES).sort()).toEqual(
      ["coordinator", "ephemeral", "full", "minimal", "selfplay", "training_node"].sort(),
    );
    expect(PROFILES.training_node).toEqual([
      "event_router",
      "training_node_watcher",
      "disk_space_manager",
    ]);
    expect(PROFILES.selfplay).toEqual(["event_router", "idle_resource", "disk_space_manager"]);
    expect(PROFILES.minimal).toEqual(["event_router"]);
    expect([...(PROFILES.full ?? [])]).toEqual([...STARTUP_ORDER]);
    for (const seed of [
      "event_router",
      "data_pipeline",
      "feedback_loop",
      "auto_sync",
      "model_distribution",
      "evaluation",
      "coordinator_disk_manager",
    ]) {
      expect(PROFILES.coordinator).toContain(seed);
    }
  });

  it("uses categories from the seeds' category table", () => {
    const { daemons } = trainingPipelineConfig();
    const category = Object.fromEntries(daemons.map((d) => [d.name, d.category]));
    expect(category).toMatchObject({
      event_router: "event",
      auto_sync: "sync",
      data_pipeline: "pipeline",
      training_trigger: "pipeline",
      auto_export: "pipeline",
      evaluation: "evaluation",
      auto_promotion: "evaluation",
      model_distribution: "distribution",
      feedback_loop: "feedback",
      queue_populator: "queue",
      idle_resource: "resource",
      node_recovery: "resource",
      disk_space_manager: "recovery",
      cluster_monitor: "health",
    });
  });

  it("gives every daemon a zod config schema whose defaults parse", () => {
    for (const daemon of trainingPipelineConfig().daemons) {
      expect(daemon.config, daemon.name).toBeDefined();
      expect(daemon.config?.safeParse({}).success, daemon.name).toBe(true);
    }
  });

  it("applies an env override to a daemon's config", () => {
    const config = trainingPipelineConfig({ store: "memory:", http: false });
    const manager = createManager(config, {
      logger: false,
      clock: createManualClock(),
      env: { RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES: "123" },
    });
    const internals = inspectManager(manager);
    expect(internals.resolved.daemons.get("training_trigger")?.config.thresholdGames).toBe(123);
  });

  for (const profile of Object.keys(PROFILES)) {
    it(`starts every daemon of the ${profile} profile and shuts down cleanly`, async () => {
      const { clock, manager } = fleet();
      const report = await startAndSettle(clock, manager.start({ profile }));
      expect(report.failed).toEqual([]);
      expect(report.waiting).toEqual([]);
      expect(new Set(report.running)).toEqual(new Set(PROFILES[profile]));
      await clock.advance(10_000);
      expect(manager.readiness()).toEqual({ ok: true, reasons: [] });
      const shutdown = await startAndSettle(clock, manager.shutdown());
      expect(shutdown.unstopped).toEqual([]);
      expect(new Set(shutdown.stopped.map((s) => s.name))).toEqual(new Set(PROFILES[profile]));
    });
  }

  it("runs the whole loop: games → sync → export → training → evaluation → promotion → distribution", async () => {
    const { clock, manager } = fleet(11);
    const seen: EventEnvelope[] = [];
    for (const type of [
      "NEW_GAMES_AVAILABLE",
      "DATA_SYNC_COMPLETED",
      "NPZ_EXPORT_COMPLETED",
      "TRAINING_STARTED",
      "TRAINING_COMPLETED",
      "EXPLORATION_BOOST",
      "EVALUATION_COMPLETED",
      "MODEL_PROMOTED",
      "MODEL_DISTRIBUTED",
    ] as const) {
      manager.events.subscribe(type, (event) => {
        seen.push(event as EventEnvelope);
      });
    }
    await startAndSettle(clock, manager.start({ profile: "full" }));
    const distributed = () => seen.some((e) => e.type === "MODEL_DISTRIBUTED");
    expect(await advanceUntil(clock, distributed, 180_000)).toBe(true);

    const first = (type: string) => seen.findIndex((e) => e.type === type);
    const order = [
      "NEW_GAMES_AVAILABLE",
      "DATA_SYNC_COMPLETED",
      "NPZ_EXPORT_COMPLETED",
      "TRAINING_STARTED",
      "TRAINING_COMPLETED",
      "EVALUATION_COMPLETED",
      "MODEL_PROMOTED",
      "MODEL_DISTRIBUTED",
    ].map(first);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(first("EXPLORATION_BOOST")).toBeGreaterThan(first("TRAINING_COMPLETED"));

    const promoted = seen.find((e) => e.type === "MODEL_PROMOTED") as
      | EventEnvelope<"MODEL_PROMOTED">
      | undefined;
    const shipped = seen.find((e) => e.type === "MODEL_DISTRIBUTED") as
      | EventEnvelope<"MODEL_DISTRIBUTED">
      | undefined;
    expect(shipped?.source).toBe("model_distribution");
    expect(shipped?.payload.model).toBe(promoted?.payload.model);
    expect(shipped?.payload.model).toMatch(/^model-gen\d+$/);
    expect(shipped?.payload.nodes).toEqual(["gpu-1", "gpu-2", "gpu-3", "gpu-4"]);

    const promotion = await startAndSettle(clock, manager.checkHealth("unified_promotion"));
    expect(promotion.message).toMatch(/^champion model-gen\d+$/);
    expect(promotion.source).toBe("hook");
    await startAndSettle(clock, manager.shutdown());
  });

  it("restarts cluster_monitor with backoff when it fails, and it never reaches failed", async () => {
    const { clock, manager } = fleet(3);
    const restarts: number[] = [];
    manager.on("daemon:restart", (r) => {
      if (r.name === "cluster_monitor") restarts.push(r.delayMs);
    });
    await startAndSettle(
      clock,
      manager.start({ daemons: ["CLUSTER_MONITOR", "cluster_watchdog"] }),
    );
    await advanceUntil(clock, () => false, 300_000, 1000);
    expect(restarts.length).toBeGreaterThan(0);
    expect(restarts[0]).toBe(1000);
    expect(manager.status("cluster_monitor").state).not.toBe("failed");
    expect(manager.status("cluster_watchdog").state).not.toBe("failed");
    expect(manager.liveness().ok).toBe(true);
    await startAndSettle(clock, manager.shutdown());
  });

  it("is repeatable with the same seed", async () => {
    const run = async () => {
      const { clock, manager } = fleet(5);
      const games: number[] = [];
      manager.events.subscribe("NEW_GAMES_AVAILABLE", (e) => {
        games.push(e.payload.games);
      });
      await startAndSettle(clock, manager.start({ daemons: ["selfplay_coordinator"] }));
      await clock.advance(10_000);
      await startAndSettle(clock, manager.shutdown());
      return games;
    };
    const a = await run();
    expect(a.length).toBeGreaterThan(5);
    expect(await run()).toEqual(a);
  });
});
