import { describe, expect, it } from "vitest";
import { defineConfig, defineDaemon } from "../../src/registry/define.js";
import {
  categories,
  daemonsByCategory,
  deprecatedDaemons,
  registryHealth,
} from "../../src/registry/queries.js";
import type { DaemonSpec } from "../../src/registry/types.js";
import { SEED_EXTRA, SEED_TABLE, seedRegistry } from "./seed-registry.js";

const seedConfig = (change: Parameters<typeof seedRegistry>[0] = {}) =>
  defineConfig({ daemons: seedRegistry(change), store: "memory:" });

describe("categories", () => {
  it("lists each category of the seeds' table once, sorted (get_categories)", () => {
    expect(categories(seedConfig())).toEqual([
      "distribution",
      "evaluation",
      "event",
      "feedback",
      "health",
      "pipeline",
      "queue",
      "resource",
      "sync",
    ]);
  });

  it("gives misc to daemons that declare no category, and nothing for an empty registry", () => {
    const config = defineConfig({ daemons: [defineDaemon({ name: "plain" })] });
    expect(categories(config)).toEqual(["misc"]);
    expect(categories(defineConfig({ daemons: [] }))).toEqual([]);
  });
});

describe("daemonsByCategory", () => {
  it("returns the specs of one category in declaration order (get_daemons_by_category)", () => {
    const config = seedConfig();
    const health = daemonsByCategory(config, "health");
    expect(health.map((spec) => spec.name)).toEqual([
      "daemon_watchdog",
      "coordinator_health_monitor",
      "cluster_monitor",
      "node_health_monitor",
      "health_server",
      "cluster_watchdog",
    ]);
    expect(health.every((spec) => config.daemons.includes(spec))).toBe(true);
    expect(daemonsByCategory(config, "sync").map((spec) => spec.name)).toEqual(["auto_sync"]);
  });

  it("matches the category exactly and answers an unknown one with no daemons", () => {
    const config = seedConfig();
    expect(daemonsByCategory(config, "SYNC")).toEqual([]);
    expect(daemonsByCategory(config, "nonexistent")).toEqual([]);
  });

  it("puts every daemon in exactly one of the categories", () => {
    const config = seedConfig();
    const all = categories(config).flatMap((c) => daemonsByCategory(config, c));
    expect(all).toHaveLength(SEED_TABLE.length + SEED_EXTRA.length);
    expect(new Set(all).size).toBe(all.length);
  });

  it("counts a name declared twice once, by its first declaration", () => {
    const first = defineDaemon({ name: "twice", category: "sync" });
    const second = defineDaemon({ name: "twice", category: "event" });
    const config = defineConfig({ daemons: [first, second] });
    expect(daemonsByCategory(config, "sync")).toEqual([first]);
    expect(daemonsByCategory(config, "event")).toEqual([]);
    expect(categories(config)).toEqual(["sync"]);
  });
});

describe("deprecatedDaemons", () => {
  it("lists name and message of each deprecated daemon, disabled ones too (get_deprecated_daemons)", () => {
    const config = seedConfig({
      distillation: { deprecated: "use quality_monitor" },
      unified_promotion: { deprecated: "merged into auto_promotion", enabled: false },
    });
    expect(deprecatedDaemons(config)).toEqual([
      { name: "distillation", message: "use quality_monitor" },
      { name: "unified_promotion", message: "merged into auto_promotion" },
    ]);
  });

  it("is empty when nothing is deprecated", () => {
    expect(deprecatedDaemons(seedConfig())).toEqual([]);
  });
});

describe("registryHealth", () => {
  it("is healthy for the seeds' registry and says how large it is (check_registry_health)", () => {
    expect(registryHealth(seedConfig())).toEqual({
      healthy: true,
      message: "23 daemons in 9 categories, no errors",
      errors: [],
      warnings: [],
    });
  });

  it("stays healthy with warnings, and counts them", () => {
    const health = registryHealth(
      seedConfig({ distillation: { deprecated: "use quality_monitor" } }),
    );
    expect(health.healthy).toBe(true);
    expect(health.message).toBe("23 daemons in 9 categories, no errors, 1 warning");
    expect(health.errors).toEqual([]);
    expect(health.warnings.map((w) => [w.code, w.subject])).toEqual([
      ["deprecated", "distillation"],
    ]);
  });

  it("is unhealthy on any error and names the first one", () => {
    const health = registryHealth(
      seedConfig({ auto_promotion: { dependsOn: ["event_router", "evalution"] } }),
    );
    expect(health.healthy).toBe(false);
    expect(health.errors.map((e) => [e.code, e.subject])).toEqual([
      ["unknown-dependency", "auto_promotion"],
    ]);
    expect(health.message).toBe(
      '1 error; first: auto_promotion depends on "evalution", which is not declared (did you mean "evaluation"?)',
    );
  });

  it("counts errors and warnings together when both are present", () => {
    const a = defineDaemon({ name: "a", dependsOn: ["b"], deprecated: "old" });
    const b = defineDaemon({ name: "b", dependsOn: ["a"] });
    const health = registryHealth(defineConfig({ daemons: [a, b], store: "memory:" }));
    expect(health.healthy).toBe(false);
    expect(health.errors.map((e) => e.code)).toEqual(["cycle"]);
    expect(health.warnings.map((w) => w.code)).toEqual(["deprecated", "depends-on-deprecated"]);
    expect(health.message).toBe("1 error, 2 warnings; first: dependency cycle: a → b → a");
  });

  it("never throws: an entry that is not a spec is an error, not a crash", () => {
    const config = defineConfig({
      daemons: [defineDaemon({ name: "ok" }), null as unknown as DaemonSpec],
    });
    const health = registryHealth(config);
    expect(health.healthy).toBe(false);
    expect(health.errors.map((e) => e.code)).toEqual(["invalid-spec"]);
    expect(categories(config)).toEqual(["misc"]);
  });
});
