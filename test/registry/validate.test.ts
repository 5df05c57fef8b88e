import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineConfig, defineDaemon, defineJob } from "../../src/registry/define.js";
import type { RingmasterConfigInput } from "../../src/registry/types.js";
import { validateConfig } from "../../src/registry/validate.js";
import { SEED_STARTUP_ORDER, seedRegistry } from "./seed-registry.js";

const daemon = (name: string, options: Record<string, unknown> = {}) =>
  defineDaemon({ name, ...options });
const validate = (input: RingmasterConfigInput) => validateConfig(defineConfig(input));
const codes = (problems: { code: string }[]) => problems.map((p) => p.code);
const messages = (problems: { message: string }[]) => problems.map((p) => p.message);

describe("validateConfig", () => {
  it("accepts the seeds' registry in the seeds' startup order", () => {
    const result = validate({ daemons: seedRegistry(), startupOrder: SEED_STARTUP_ORDER });
    expect(result).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it("reports a startup order that starts a dependency after its dependent, in the seeds' words", () => {
    // data_pipeline (pos 3) made to depend on auto_sync (pos 5); auto_sync no longer depends on it.
    const daemons = seedRegistry({
      data_pipeline: { dependsOn: ["event_router", "auto_sync"] },
      auto_sync: { dependsOn: ["event_router", "feedback_loop"] },
    });
    const result = validate({ daemons, startupOrder: SEED_STARTUP_ORDER });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "startup-order",
        subject: "data_pipeline",
        message:
          "data_pipeline (pos 3) depends on auto_sync (pos 5), but auto_sync starts after data_pipeline",
      },
    ]);
  });

  it("reports startupOrder entries that are unknown or listed twice", () => {
    const daemons = [daemon("event_router"), daemon("auto_sync", { dependsOn: ["event_router"] })];
    const result = validate({
      daemons,
      startupOrder: ["event_router", "auto_synk", "auto_sync", "event_router"],
    });
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: "startup-order-unknown",
        subject: "auto_synk",
        message:
          'startupOrder (pos 2) names "auto_synk", which is not declared (did you mean "auto_sync"?)',
      }),
      expect.objectContaining({
        code: "startup-order-duplicate",
        subject: "event_router",
        message: "startupOrder lists event_router twice (pos 1 and pos 4)",
      }),
    ]);
  });

  it("warns, only for sequential start-up, about daemons missing from startupOrder", () => {
    const daemons = [daemon("event_router"), daemon("auto_sync")];
    const parallel = validate({ daemons, startupOrder: ["event_router"] });
    expect(parallel.warnings).toEqual([]);
    const sequential = validate({ daemons, startupOrder: ["event_router"], startup: "sequential" });
    expect(sequential.ok).toBe(true);
    expect(sequential.warnings).toEqual([
      expect.objectContaining({
        severity: "warning",
        code: "startup-order-missing",
        subject: "auto_sync",
      }),
    ]);
    const none = validate({ daemons, startup: "sequential" });
    expect(codes(none.warnings)).toEqual(["startup-order-missing"]);
  });

  it("reports duplicate and malformed names, saying what is expected", () => {
    const result = validate({
      daemons: [daemon("auto_sync"), daemon("auto_sync"), daemon("AutoExport"), daemon("a__b")],
    });
    expect(codes(result.errors)).toEqual(["duplicate-name", "invalid-name", "invalid-name"]);
    expect(result.errors[0]?.message).toBe(
      'daemon name "auto_sync" is declared twice (daemons[0] and daemons[1])',
    );
    expect(result.errors[1]?.message).toBe(
      'daemon name "AutoExport" is not lower_snake_case: expected a lowercase letter, then lowercase letters, digits and single underscores, like "auto_sync" (did you mean "auto_export"?)',
    );
    expect(result.errors[2]?.subject).toBe("a__b");
  });

  it("reports unknown dependencies with a did-you-mean, and self-dependencies", () => {
    const result = validate({
      daemons: [
        daemon("data_pipeline"),
        daemon("auto_sync", { dependsOn: ["data_pipline", "zzz_unrelated"] }),
        daemon("loner", { dependsOn: ["loner"] }),
      ],
    });
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "unknown-dependency",
        subject: "auto_sync",
        message:
          'auto_sync depends on "data_pipline", which is not declared (did you mean "data_pipeline"?)',
      },
      {
        severity: "error",
        code: "unknown-dependency",
        subject: "auto_sync",
        message: 'auto_sync depends on "zzz_unrelated", which is not declared',
      },
      {
        severity: "error",
        code: "self-dependency",
        subject: "loner",
        message: "loner depends on itself",
      },
    ]);
  });

  it("prints a dependency cycle as a path", () => {
    const result = validate({
      daemons: [
        daemon("a", { dependsOn: ["b"] }),
        daemon("b", { dependsOn: ["c"] }),
        daemon("c", { dependsOn: ["a"] }),
      ],
    });
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "cycle",
        subject: "a",
        message: "dependency cycle: a → b → c → a",
      },
    ]);
  });

  it("reports profiles naming unknown daemons, and warns about profiles lacking a dependency", () => {
    const result = validate({
      daemons: seedRegistry(),
      profiles: {
        coordinator: ["event_router", "data_pipeline", "feedback_loop", "auto_sync"],
        training_node: ["event_router", "auto_sync", "evaluaton"],
      },
    });
    expect(result.warnings.filter((w) => w.code === "profile-missing-dependency")).toEqual([
      {
        severity: "warning",
        code: "profile-missing-dependency",
        subject: "training_node",
        message:
          'profile "training_node": auto_sync depends on data_pipeline, which the profile does not include; starting the profile pulls in data_pipeline',
      },
      {
        severity: "warning",
        code: "profile-missing-dependency",
        subject: "training_node",
        message:
          'profile "training_node": auto_sync depends on feedback_loop, which the profile does not include; starting the profile pulls in feedback_loop',
      },
    ]);
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "profile-unknown-daemon",
        subject: "training_node",
        message:
          'profile "training_node" names "evaluaton", which is not declared (did you mean "evaluation"?)',
      },
    ]);
  });

  it("reports config schemas whose defaults do not parse, naming the key and zod's words", () => {
    const result = validate({
      daemons: [
        daemon("auto_sync", {
          config: z.object({
            batchSize: z.number().min(10).prefault(1),
            peers: z.array(z.string()).default([]),
          }),
        }),
        daemon("fine", { config: z.object({ n: z.number().default(1) }) }),
        daemon("supplied", { config: z.object({ url: z.string() }) }),
      ],
      daemonConfig: { supplied: { url: "http://x" } },
    });
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "invalid-config-default",
        subject: "auto_sync",
        message:
          "auto_sync.batchSize: no valid default (zod: Too small: expected number to be >=10); give the schema a default or set it in daemonConfig",
      },
    ]);
  });

  it("only warns about a required key without a default: the env or another layer may supply it", () => {
    const result = validate({
      envPrefix: "RINGRIFT",
      daemons: [
        daemon("uploader", {
          config: z.object({ apiKey: z.string(), retries: z.number().default(3) }),
        }),
        daemon("watcher", {
          envName: "TRAINING_ACTIVITY",
          config: z.object({ token: z.string() }),
        }),
      ],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        severity: "warning",
        code: "config-key-without-default",
        subject: "uploader",
        message:
          "uploader.apiKey has no default: set it in daemonConfig, the YAML overrides, env RINGRIFT_UPLOADER_API_KEY or the store, or start-up fails",
      },
      {
        severity: "warning",
        code: "config-key-without-default",
        subject: "watcher",
        message:
          "watcher.token has no default: set it in daemonConfig, the YAML overrides, env RINGRIFT_TRAINING_ACTIVITY_TOKEN or the store, or start-up fails",
      },
    ]);
  });

  it("reports daemonConfig for undeclared daemons", () => {
    const result = validate({ daemons: [daemon("auto_sync")], daemonConfig: { auto_snyc: {} } });
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: "unknown-daemon-config",
        message:
          'daemonConfig has values for "auto_snyc", which is not declared (did you mean "auto_sync"?)',
      }),
    ]);
  });

  it("reports job types with more than one handler", () => {
    const job = (type: string) => defineJob({ type, run: () => undefined });
    const result = validate({ daemons: [], jobs: [job("export"), job("sync"), job("export")] });
    expect(result.errors).toEqual([
      expect.objectContaining({ code: "duplicate-job-type", subject: "export" }),
    ]);
  });

  it("reports an enabled daemon depending on a disabled one, but not a disabled dependent", () => {
    const result = validate({
      daemons: [
        daemon("event_router", { enabled: false }),
        daemon("auto_sync", { dependsOn: ["event_router"] }),
        daemon("old_sync", { dependsOn: ["event_router"], enabled: false }),
      ],
    });
    expect(result.errors).toEqual([
      {
        severity: "error",
        code: "disabled-dependency",
        subject: "auto_sync",
        message:
          "auto_sync depends on event_router, which is disabled; enable event_router or disable auto_sync",
      },
    ]);
  });

  it("warns about deprecated daemons in use and daemons depending on them", () => {
    const result = validate({
      daemons: [
        daemon("node_health_monitor", { deprecated: "use cluster_monitor" }),
        daemon("health_server", { dependsOn: ["node_health_monitor"] }),
      ],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        severity: "warning",
        code: "deprecated",
        subject: "node_health_monitor",
        message: "node_health_monitor is deprecated: use cluster_monitor",
      },
      {
        severity: "warning",
        code: "depends-on-deprecated",
        subject: "health_server",
        message:
          "health_server depends on node_health_monitor, which is deprecated: use cluster_monitor",
      },
    ]);
  });

  it("warns about events subscribed but never emitted, and emitted but never subscribed", () => {
    const result = validate({
      daemons: [
        daemon("auto_sync", { emits: ["DATA_SYNC_COMPLETED", "SYNC_STALLED"] }),
        daemon("data_pipeline", { subscribes: ["DATA_SYNC_COMPLETED", "DATA_SYNC_COMPLETE"] }),
      ],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        severity: "warning",
        code: "event-never-emitted",
        subject: "DATA_SYNC_COMPLETE",
        message:
          'event DATA_SYNC_COMPLETE is subscribed by data_pipeline but no daemon emits it (did you mean "DATA_SYNC_COMPLETED"?)',
      },
      {
        severity: "warning",
        code: "event-never-subscribed",
        subject: "SYNC_STALLED",
        message: "event SYNC_STALLED is emitted by auto_sync but no daemon subscribes to it",
      },
    ]);
  });

  it("warns about cluster-scoped daemons on a store no other process shares (memory)", () => {
    const daemons = [daemon("leader_election", { scope: "cluster" })];
    expect(validate({ daemons, store: "memory:" }).warnings).toEqual([
      {
        severity: "warning",
        code: "cluster-scope-store",
        subject: "leader_election",
        message:
          'leader_election has scope "cluster", which needs a store the nodes share (postgres://, or one sqlite: file for the processes of one host), but the store is "memory:"',
      },
    ]);
    // DESIGN.md §8: PostgreSQL across machines, or one SQLite file shared by one host's processes.
    expect(validate({ daemons, store: "postgres://db/ringmaster" }).warnings).toEqual([]);
    expect(validate({ daemons }).warnings).toEqual([]);
  });

  it("reports every problem at once and never throws", () => {
    const result = validate({
      daemons: [
        daemon("a", { dependsOn: ["b", "ghost"] }),
        daemon("b", { dependsOn: ["a"] }),
        daemon("Bad"),
        daemon("a"),
        daemon("c", {
          config: z.object({ x: z.string().min(3).prefault("ab") }),
          deprecated: "gone soon",
        }),
      ],
      startupOrder: ["b", "a", "nobody"],
      profiles: { p: ["c", "missing"] },
    });
    expect(codes(result.errors).sort()).toEqual(
      [
        "cycle",
        "duplicate-name",
        "invalid-config-default",
        "invalid-name",
        "profile-unknown-daemon",
        "startup-order",
        "startup-order-unknown",
        "unknown-dependency",
      ].sort(),
    );
    expect(messages(result.errors)).toContain("dependency cycle: a → b → a");
    expect(codes(result.warnings)).toEqual(["deprecated"]);
    // Even a config that is not what defineConfig makes yields problems, not exceptions.
    const broken = validateConfig({ ...defineConfig({ daemons: [] }), profiles: null } as never);
    expect(broken.ok).toBe(true);
    const worse = validateConfig({ ...defineConfig({ daemons: [] }), daemons: [null] } as never);
    expect(worse.ok).toBe(false);
    expect(worse.errors).toEqual([
      expect.objectContaining({
        code: "invalid-spec",
        message: "daemons[0] is not a daemon spec (declare it with defineDaemon), found null",
      }),
    ]);
  });
});
