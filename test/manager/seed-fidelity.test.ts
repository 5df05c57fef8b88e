// What the seeds' users rely on from the manager (issue 15, items 4, 5 and 7).
import { defineConfig, defineDaemon, validateConfig } from "ringmaster";
import { createTestManager } from "ringmaster/testing";
import { describe, expect, it } from "vitest";
import { seedRegistry } from "../registry/seed-registry.js";

/** Seed 004's coordinator profile, as written there. */
const COORDINATOR_DAEMONS = [
  "EVENT_ROUTER",
  "DATA_PIPELINE",
  "FEEDBACK_LOOP",
  "AUTO_SYNC",
  "MODEL_DISTRIBUTION",
  "EVALUATION",
  "COORDINATOR_DISK_MANAGER",
].map((name) => name.toLowerCase());

const fleet = () =>
  defineConfig({
    daemons: [
      ...seedRegistry(),
      defineDaemon({ name: "coordinator_disk_manager", dependsOn: ["event_router"] }),
    ],
    profiles: { coordinator: COORDINATOR_DAEMONS },
  });

describe("the seeds' coordinator profile (seeds 003/004)", () => {
  it("validates with a warning naming what starting it pulls in", () => {
    const result = validateConfig(fleet());
    expect(result.ok).toBe(true);
    expect(result.warnings.filter((w) => w.code === "profile-missing-dependency")).toEqual([
      {
        severity: "warning",
        code: "profile-missing-dependency",
        subject: "coordinator",
        message:
          'profile "coordinator": model_distribution depends on auto_promotion, which the profile does not include; starting the profile pulls in auto_promotion',
      },
    ]);
  });

  it("starts, pulling in auto_promotion and saying so", async () => {
    await using t = createTestManager(fleet());
    const report = await t.start({ profile: "coordinator" });
    expect(report.failed).toEqual([]);
    expect(report.waiting).toEqual([]);
    expect(report.pulledIn).toEqual(["auto_promotion"]);
    expect([...report.running].sort()).toEqual([...COORDINATOR_DAEMONS, "auto_promotion"].sort());
    expect(t.status("auto_promotion").pulledInBy).toEqual(["model_distribution"]);
    expect(t.status("model_distribution").state).toBe("running");
    expect(t.status("auto_sync").state).toBe("running");
    expect(t.status("training_trigger").state).toBe("stopped"); // not in the profile
  });
});

describe("graceful degradation (seed 000)", () => {
  it("reports { healthy: true, details: { degraded: true } } as degraded", async () => {
    let degraded = false;
    const sync = defineDaemon({
      name: "auto_sync",
      health: () => ({ healthy: true, message: "peers slow", details: { degraded } }),
    });
    await using t = createTestManager(sync);
    await t.start();
    expect(await t.checkHealth("auto_sync")).toMatchObject({ status: "healthy" });
    degraded = true;
    expect(await t.checkHealth("auto_sync")).toMatchObject({
      status: "degraded",
      message: "peers slow",
      details: { degraded: true },
    });
    expect(t.manager.liveness().ok).toBe(true); // degraded is not unhealthy
  });
});

describe("registry queries on the manager (seeds' get_daemons_by_category …)", () => {
  it("answers over the manager's config", () => {
    const deprecated = { node_health_monitor: { deprecated: "use cluster_monitor" } };
    const t = createTestManager(defineConfig({ daemons: seedRegistry(deprecated) }));
    const { manager } = t;
    expect(manager.categories()).toContain("sync");
    expect(manager.daemonsByCategory("sync").map((s) => s.name)).toEqual(["auto_sync"]);
    expect(manager.deprecatedDaemons()).toEqual([
      { name: "node_health_monitor", message: "use cluster_monitor" },
    ]);
    expect(manager.registryHealth()).toMatchObject({ healthy: true, errors: [] });
  });
});
