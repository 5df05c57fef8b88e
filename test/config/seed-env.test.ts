// The environment and YAML spellings the seeds use (issue 15, items 2, 8 and 9).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveConfig } from "../../src/config/resolve.js";
import { defineConfig, defineDaemon } from "../../src/registry/define.js";
import { ConfigError } from "../../src/registry/errors.js";
import type { RingmasterConfigInput } from "../../src/registry/types.js";

const SECOND = 1000;
const noop = () => {};

const autoSync = defineDaemon({
  name: "auto_sync",
  category: "sync",
  config: z.object({ batchSize: z.number().int().positive().default(100) }),
  interval: "5m",
  cycle: noop,
});
const ephemeralSync = defineDaemon({ name: "ephemeral_sync", category: "sync", cycle: noop });
const cronSync = defineDaemon({
  name: "nightly_sync",
  category: "sync",
  cron: "0 3 * * *",
  cycle: noop,
});
const myDaemon = defineDaemon({ name: "my_daemon", cycle: noop });
const watcher = defineDaemon({
  name: "training_node_watcher",
  category: "pipeline",
  envName: "TRAINING_ACTIVITY",
  config: z.object({
    handleSignals: z.boolean().default(true),
    triggerSync: z.boolean().default(true),
  }),
  interval: "30s",
  cycle: noop,
});
const uploader = defineDaemon({
  name: "uploader",
  config: z.object({ apiKey: z.string(), retries: z.number().default(3) }),
});
const trigger = defineDaemon({
  name: "training_trigger",
  category: "pipeline",
  config: z.object({ thresholdGames: z.number().int().default(500) }),
  interval: "60s",
  cycle: noop,
});

const config = (input: Partial<RingmasterConfigInput> = {}) =>
  defineConfig({
    envPrefix: "RINGRIFT",
    daemons: [autoSync, ephemeralSync, cronSync, myDaemon, watcher, trigger],
    ...input,
  });

const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
};

const intervalOf = (resolved: ReturnType<typeof resolveConfig>, name: string) =>
  resolved.daemons.get(name)?.spec.interval;

describe("interval variables (seed 002: RINGRIFT_DAEMON_INTERVAL, RINGRIFT_SYNC_INTERVAL)", () => {
  it("a cycle without a schedule in code runs every 60 s, or every PREFIX_DAEMON_INTERVAL", () => {
    const plain = resolveConfig(config(), { env: {} });
    expect(intervalOf(plain, "my_daemon")).toBe(60 * SECOND);
    expect(plain.daemons.get("my_daemon")?.sources.interval).toEqual({ kind: "default" });

    const env = { RINGRIFT_DAEMON_INTERVAL: "15" };
    const resolved = resolveConfig(config(), { env });
    expect(intervalOf(resolved, "my_daemon")).toBe(15 * SECOND);
    expect(resolved.daemons.get("my_daemon")?.sources.interval).toEqual({
      kind: "env",
      detail: "RINGRIFT_DAEMON_INTERVAL",
    });
    // A daemon that sets its interval in code keeps it; cron daemons are not touched.
    expect(intervalOf(resolved, "training_trigger")).toBe(60 * SECOND);
    expect(resolved.daemons.get("nightly_sync")?.spec.cron).toBe("0 3 * * *");
    expect(intervalOf(resolved, "nightly_sync")).toBeUndefined();
    expect(resolved.warnings).toEqual([]);
  });

  it("PREFIX_CATEGORY_INTERVAL sets every interval daemon of the category; the daemon's own variable wins", () => {
    const resolved = resolveConfig(config(), {
      env: { RINGRIFT_SYNC_INTERVAL: "30", RINGRIFT_EPHEMERAL_SYNC_INTERVAL: "5" },
    });
    expect(intervalOf(resolved, "auto_sync")).toBe(30 * SECOND);
    expect(resolved.daemons.get("auto_sync")?.sources.interval).toEqual({
      kind: "env",
      detail: "RINGRIFT_SYNC_INTERVAL",
    });
    expect(intervalOf(resolved, "ephemeral_sync")).toBe(5 * SECOND);
    expect(intervalOf(resolved, "nightly_sync")).toBeUndefined();
    expect(intervalOf(resolved, "training_trigger")).toBe(60 * SECOND);
    expect(resolved.warnings).toEqual([]);
  });

  it("a bad interval variable is one problem line naming it", () => {
    expect(
      problemsOf(() =>
        resolveConfig(config(), {
          env: { RINGRIFT_DAEMON_INTERVAL: "soon", RINGRIFT_SYNC_INTERVAL: "-3" },
        }),
      ),
    ).toEqual([
      'settings.defaultInterval: expected a duration of more than 0, such as 60 (seconds) or "5m", found "soon" (from env RINGRIFT_DAEMON_INTERVAL)',
      'category sync: interval: expected a duration of more than 0, such as 60 (seconds) or "5m", found "-3" (from env RINGRIFT_SYNC_INTERVAL)',
    ]);
  });
});

describe("envName (seed 004: TRAINING_NODE_WATCHER reads RINGRIFT_TRAINING_ACTIVITY_*)", () => {
  it("reads the daemon's variables under its envName instead of its name", () => {
    const resolved = resolveConfig(config(), {
      env: {
        RINGRIFT_TRAINING_ACTIVITY_ENABLED: "1",
        RINGRIFT_TRAINING_ACTIVITY_INTERVAL: "45",
        RINGRIFT_TRAINING_ACTIVITY_HANDLE_SIGNALS: "0",
        RINGRIFT_TRAINING_ACTIVITY_TRIGGER_SYNC: "1",
      },
    });
    const daemon = resolved.daemons.get("training_node_watcher");
    expect(daemon?.spec.interval).toBe(45 * SECOND);
    expect(daemon?.config).toEqual({ handleSignals: false, triggerSync: true });
    expect(daemon?.sources.handleSignals).toEqual({
      kind: "env",
      detail: "RINGRIFT_TRAINING_ACTIVITY_HANDLE_SIGNALS",
    });
    expect(resolved.warnings).toEqual([]);
  });

  it("rejects an envName that cannot be part of a variable name", () => {
    expect(() => defineDaemon({ name: "x", envName: "training-activity" })).toThrow(
      /daemon "x", option envName: expected letters, digits and underscores/,
    );
  });
});

describe("a required key without a default (secrets)", () => {
  it("may come from the environment alone, and is one problem line when nothing supplies it", () => {
    const withSecret = config({ daemons: [uploader] });
    const resolved = resolveConfig(withSecret, { env: { RINGRIFT_UPLOADER_API_KEY: "s3cr3t" } });
    expect(resolved.daemons.get("uploader")?.config).toEqual({ apiKey: "s3cr3t", retries: 3 });
    expect(problemsOf(() => resolveConfig(withSecret, { env: {} }))).toEqual([
      "uploader.apiKey: expected a string, found nothing (not set, and the schema has no default)",
    ]);
  });
});

describe("typos under the prefix", () => {
  it("warns about a typo in the daemon part of a variable with a did-you-mean", () => {
    const resolved = resolveConfig(config({ envPrefix: "RINGMASTER" }), {
      env: {
        RINGMASTER_AUTO_SYNK_BATCH_SIZE: "50",
        RINGMASTER_DEAMON_HEALTH_PORT: "9000",
        RINGMASTER_SYNCC_INTERVAL: "9",
        RINGMASTER_URL: "http://127.0.0.1:8790",
        RINGMASTER_SOMETHING_ELSE_ENTIRELY: "x",
      },
    });
    expect(resolved.daemons.get("auto_sync")?.config).toEqual({ batchSize: 100 });
    expect(resolved.warnings).toEqual([
      'env RINGMASTER_AUTO_SYNK_BATCH_SIZE is set but names no daemon, category or setting (did you mean "RINGMASTER_AUTO_SYNC_BATCH_SIZE"?); ignored',
      'env RINGMASTER_DEAMON_HEALTH_PORT is set but names no daemon, category or setting (did you mean "RINGMASTER_DAEMON_HEALTH_PORT"?); ignored',
      'env RINGMASTER_SYNCC_INTERVAL is set but names no daemon, category or setting (did you mean "RINGMASTER_SYNC_INTERVAL"?); ignored',
    ]);
  });
});

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-seed-yaml-"));
  const file = join(dir, "unified_loop.yaml");
  writeFileSync(file, text);
  return file;
}

/** seed 002's config/unified_loop.yaml, as written there. */
const UNIFIED_LOOP = `daemons:
  auto_sync:
    enabled: true
    interval: 60
  ephemeral_sync:
    enabled: true
    interval: 5
  training_trigger:
    enabled: true
    threshold_games: 1000
`;

describe("YAML as the seeds write it (seed 002)", () => {
  it("reads snake_case keys as the schema's camelCase ones", () => {
    const file = yamlFile(UNIFIED_LOOP);
    const resolved = resolveConfig(config({ overridesFile: file }), { env: {} });
    expect(resolved.daemons.get("training_trigger")?.config).toEqual({ thresholdGames: 1000 });
    expect(resolved.daemons.get("training_trigger")?.sources.thresholdGames).toEqual({
      kind: "overrides",
      detail: file,
    });
    expect(intervalOf(resolved, "auto_sync")).toBe(60 * SECOND);
    expect(intervalOf(resolved, "ephemeral_sync")).toBe(5 * SECOND);
  });

  it("takes the overrides file from PREFIX_OVERRIDES over the config's, relative to cwd", () => {
    const file = yamlFile(UNIFIED_LOOP);
    const other = yamlFile("daemons:\n  training_trigger:\n    thresholdGames: 7\n");
    const dir = join(file, "..");
    const resolved = resolveConfig(config({ overridesFile: other }), {
      env: { RINGRIFT_OVERRIDES: "unified_loop.yaml" },
      cwd: dir,
    });
    expect(resolved.daemons.get("training_trigger")?.config).toEqual({ thresholdGames: 1000 });
    expect(resolved.warnings).toEqual([]);
  });
});

describe("PREFIX_DAEMON_SHUTDOWN_TIMEOUT (seed 004)", () => {
  it("is the stopTimeout of every daemon that kept the default, and the manager setting", () => {
    const patient = defineDaemon({ name: "patient", stopTimeout: "90s" });
    const resolved = resolveConfig(config({ daemons: [autoSync, patient] }), {
      env: { RINGRIFT_DAEMON_SHUTDOWN_TIMEOUT: "2" },
    });
    expect(resolved.daemons.get("auto_sync")?.spec.stopTimeout).toBe(2 * SECOND);
    expect(resolved.daemons.get("patient")?.spec.stopTimeout).toBe(90 * SECOND);
    expect(resolved.settings.shutdownTimeout).toBe(2 * SECOND);
  });
});
