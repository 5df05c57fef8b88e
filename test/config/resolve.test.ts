import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envVarName, resolveConfig } from "../../src/config/resolve.js";
import { defineConfig, defineDaemon } from "../../src/registry/define.js";
import { ConfigError } from "../../src/registry/errors.js";
import type { RingmasterConfigInput } from "../../src/registry/types.js";

const myNewDaemon = defineDaemon({
  name: "my_new_daemon",
  config: z.object({
    checkIntervalSeconds: z.number().positive().default(60),
    maxRetries: z.number().int().default(3),
    dryRun: z.boolean().default(false),
    peers: z.array(z.string()).default([]),
    label: z.string().optional(),
  }),
  interval: "60s",
  async cycle() {},
});
const autoSync = defineDaemon({
  name: "auto_sync",
  config: z.object({
    batchSize: z.number().int().positive().default(100),
    mode: z.enum(["push", "pull"]).default("push"),
  }),
  interval: "5m",
  async cycle() {},
  async setup() {},
});
const eventRouter = defineDaemon({ name: "event_router", healthInterval: "10s" });

const config = (input: Partial<RingmasterConfigInput> = {}) =>
  defineConfig({ envPrefix: "RINGRIFT", daemons: [eventRouter, autoSync, myNewDaemon], ...input });

function yamlFile(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-config-"));
  const file = join(dir, "overrides.yaml");
  writeFileSync(file, text);
  return { dir, file };
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("envVarName", () => {
  it("joins prefix, daemon and key in UPPER_SNAKE_CASE", () => {
    expect(envVarName("RINGRIFT", "my_new_daemon", "checkIntervalSeconds")).toBe(
      "RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS",
    );
    expect(envVarName("RINGMASTER", "auto_sync", "batch_size")).toBe(
      "RINGMASTER_AUTO_SYNC_BATCH_SIZE",
    );
    expect(envVarName("RINGMASTER", "s3_sync", "apiURL")).toBe("RINGMASTER_S3_SYNC_API_URL");
  });
});

describe("resolveConfig", () => {
  it("uses the schema defaults when nothing overrides them", () => {
    const resolved = resolveConfig(config(), { env: {} });
    const daemon = resolved.daemons.get("my_new_daemon")!;
    expect(daemon.config).toEqual({
      checkIntervalSeconds: 60,
      maxRetries: 3,
      dryRun: false,
      peers: [],
    });
    expect(daemon.sources.checkIntervalSeconds).toEqual({ kind: "default" });
    expect(daemon.spec).toBe(myNewDaemon); // nothing changed: the declared spec itself
    expect(resolved.daemons.get("event_router")?.config).toEqual({});
    expect(resolved.warnings).toEqual([]);
    expect(resolved.settings).toEqual({
      http: false,
      store: "sqlite:.ringmaster/state.db",
      apiToken: undefined,
      shutdownTimeout: 30_000,
    });
  });

  it("applies an env override, coerced by the schema, naming its variable as the source", () => {
    const resolved = resolveConfig(config(), {
      env: {
        RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS: "30",
        RINGRIFT_MY_NEW_DAEMON_DRY_RUN: "yes",
        RINGRIFT_MY_NEW_DAEMON_PEERS: '["a","b"]',
        RINGRIFT_MY_NEW_DAEMON_LABEL: "42",
      },
    });
    const daemon = resolved.daemons.get("my_new_daemon")!;
    expect(daemon.config).toEqual({
      checkIntervalSeconds: 30,
      maxRetries: 3,
      dryRun: true,
      peers: ["a", "b"],
      label: "42",
    });
    expect(daemon.sources.checkIntervalSeconds).toEqual({
      kind: "env",
      detail: "RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS",
    });
  });

  it("rejects a bad env value with one line naming the daemon, key, expectation and variable", () => {
    const problems = problemsOf(() =>
      resolveConfig(config(), { env: { RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS: "abc" } }),
    );
    expect(problems).toEqual([
      'my_new_daemon.checkIntervalSeconds: expected a number, found "abc" (from env RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS)',
    ]);
  });

  it("reports a value the schema rejects with the layer it came from", () => {
    const problems = problemsOf(() =>
      resolveConfig(config({ daemonConfig: { auto_sync: { batchSize: -5 } } }), {
        env: { RINGRIFT_AUTO_SYNC_MODE: "sideways" },
      }),
    );
    expect(problems).toEqual([
      "auto_sync.batchSize: too small: expected number to be >0, found -5 (from the config file's daemonConfig)",
      'auto_sync.mode: invalid option: expected one of "push"|"pull", found "sideways" (from env RINGRIFT_AUTO_SYNC_MODE)',
    ]);
  });

  it("applies the layers in order: defaults < daemonConfig < YAML < env < stored overrides", () => {
    const { dir } = yamlFile(
      [
        "daemons:",
        "  my_new_daemon:",
        "    checkIntervalSeconds: 20",
        "    maxRetries: 20",
        "    dryRun: true",
        "  auto_sync:",
        "    enabled: false",
        "    interval: 60",
        "    batchSize: 50",
      ].join("\n"),
    );
    const resolved = resolveConfig(
      config({
        overridesFile: "overrides.yaml",
        daemonConfig: {
          my_new_daemon: { checkIntervalSeconds: 10, maxRetries: 10, dryRun: false, label: "file" },
        },
      }),
      {
        cwd: dir,
        env: {
          RINGRIFT_MY_NEW_DAEMON_CHECK_INTERVAL_SECONDS: "30",
          RINGRIFT_MY_NEW_DAEMON_MAX_RETRIES: "30",
        },
        storedOverrides: { my_new_daemon: { checkIntervalSeconds: 40 } },
      },
    );
    const daemon = resolved.daemons.get("my_new_daemon")!;
    expect(daemon.config).toEqual({
      checkIntervalSeconds: 40, // store beats env, YAML and file
      maxRetries: 30, // env beats YAML and file
      dryRun: true, // YAML beats file
      label: "file", // file beats the (absent) default
      peers: [], // default
    });
    expect(daemon.sources).toMatchObject({
      checkIntervalSeconds: { kind: "store" },
      maxRetries: { kind: "env", detail: "RINGRIFT_MY_NEW_DAEMON_MAX_RETRIES" },
      dryRun: { kind: "overrides", detail: join(dir, "overrides.yaml") },
      label: { kind: "file" },
      peers: { kind: "default" },
    });

    const sync = resolved.daemons.get("auto_sync")!;
    expect(sync.config).toEqual({ batchSize: 50, mode: "push" });
    expect(sync.spec.enabled).toBe(false);
    expect(sync.spec.interval).toBe(60_000); // a bare number in YAML is seconds
    expect(sync.spec.setup).toBe(autoSync.setup); // hooks kept
    expect(sync.spec.cycle).toBe(autoSync.cycle);
    expect(Object.isFrozen(sync.spec)).toBe(true);
    expect(autoSync.enabled).toBe(true); // the declared spec is untouched
  });

  it("sets spec options from env (seconds or units) and from daemonConfig (ms)", () => {
    const resolved = resolveConfig(
      config({ daemonConfig: { auto_sync: { interval: 1500, autoStart: false } } }),
      {
        env: { RINGRIFT_MY_NEW_DAEMON_INTERVAL: "2", RINGRIFT_MY_NEW_DAEMON_ENABLED: "0" },
      },
    );
    expect(resolved.daemons.get("auto_sync")?.spec).toMatchObject({
      interval: 1500,
      autoStart: false,
    });
    expect(resolved.daemons.get("my_new_daemon")?.spec).toMatchObject({
      interval: 2000,
      enabled: false,
    });
    const units = resolveConfig(config(), { env: { RINGRIFT_MY_NEW_DAEMON_INTERVAL: "500ms" } });
    expect(units.daemons.get("my_new_daemon")?.spec.interval).toBe(500);
  });

  it("lets stored overrides win over every other layer, spec options included", () => {
    const { dir } = yamlFile("daemons:\n  auto_sync:\n    batchSize: 50\n    enabled: false\n");
    const resolved = resolveConfig(config({ overridesFile: "overrides.yaml" }), {
      cwd: dir,
      env: { RINGRIFT_AUTO_SYNC_BATCH_SIZE: "70" },
      storedOverrides: { auto_sync: { batchSize: 80, enabled: true } },
    });
    const sync = resolved.daemons.get("auto_sync")!;
    expect(sync.config.batchSize).toBe(80);
    expect(sync.spec.enabled).toBe(true);
    expect(sync.sources.enabled).toEqual({ kind: "store" });
  });

  it("returns deep-frozen configs", () => {
    const resolved = resolveConfig(config({ daemonConfig: { my_new_daemon: { peers: ["a"] } } }), {
      env: {},
    });
    const daemon = resolved.daemons.get("my_new_daemon")!;
    expect(Object.isFrozen(daemon)).toBe(true);
    expect(Object.isFrozen(daemon.config)).toBe(true);
    expect(Object.isFrozen(daemon.config.peers)).toBe(true);
    expect(Object.isFrozen(resolved.settings)).toBe(true);
    expect(() => {
      (daemon.config.peers as string[]).push("b");
    }).toThrow(TypeError);
  });

  it("rejects unknown keys and daemons in the YAML file, naming the file and suggesting", () => {
    const { dir, file } = yamlFile(
      "daemons:\n  auto_sync:\n    batchSzie: 50\n  auto_snyc:\n    enabled: true\nextra: 1\n",
    );
    const problems = problemsOf(() =>
      resolveConfig(config({ overridesFile: "overrides.yaml" }), { cwd: dir, env: {} }),
    );
    expect(problems).toEqual([
      `${file}: unknown top-level key "extra" (expected "daemons")`,
      `${file}: daemons.auto_snyc is not a declared daemon (did you mean "auto_sync"?)`,
      `${file}: daemons.auto_sync.batchSzie is not a config key of auto_sync (did you mean "batchSize"?)`,
    ]);
  });

  it("warns, without failing, when the overrides file does not exist", () => {
    const dir = mkdtempSync(join(tmpdir(), "ringmaster-config-"));
    const resolved = resolveConfig(config({ overridesFile: "absent.yaml" }), { cwd: dir, env: {} });
    expect(resolved.warnings).toEqual([
      `overrides file ${join(dir, "absent.yaml")} does not exist; no YAML overrides applied`,
    ]);
  });

  it("reads manager settings from the environment under the prefix", () => {
    const resolved = resolveConfig(config(), {
      env: {
        RINGRIFT_DAEMON_HEALTH_PORT: "9100",
        RINGRIFT_DAEMON_HOST: "0.0.0.0",
        RINGRIFT_DAEMON_RESTART_MAX: "2",
        RINGRIFT_DAEMON_HEALTH_INTERVAL: "15",
        RINGRIFT_DAEMON_SHUTDOWN_TIMEOUT: "45",
        RINGRIFT_STORE: "postgres://db/ringmaster",
        RINGRIFT_API_TOKEN: "s3cret",
      },
    });
    expect(resolved.settings).toEqual({
      http: { host: "0.0.0.0", port: 9100 },
      store: "postgres://db/ringmaster",
      apiToken: "s3cret",
      shutdownTimeout: 45_000,
    });
    for (const daemon of resolved.daemons.values()) expect(daemon.spec.restart.maxRestarts).toBe(2);
    // healthInterval: only daemons that kept the default take the env value.
    expect(resolved.daemons.get("auto_sync")?.spec.healthInterval).toBe(15_000);
    expect(resolved.daemons.get("event_router")?.spec.healthInterval).toBe(10_000);
  });

  it("rejects bad manager settings, naming each variable", () => {
    const problems = problemsOf(() =>
      resolveConfig(config(), {
        env: {
          RINGRIFT_DAEMON_HEALTH_PORT: "99999",
          RINGRIFT_DAEMON_RESTART_MAX: "many",
          RINGRIFT_DAEMON_HEALTH_INTERVAL: "0",
          RINGRIFT_DAEMON_SHUTDOWN_TIMEOUT: "soon",
          RINGRIFT_STORE: "mysql://db",
        },
      }),
    );
    expect(problems).toEqual([
      'settings.http.port: expected a port number from 0 to 65535, found "99999" (from env RINGRIFT_DAEMON_HEALTH_PORT)',
      'settings.restartMax: expected a whole number of 0 or more, found "many" (from env RINGRIFT_DAEMON_RESTART_MAX)',
      'settings.healthInterval: expected a duration of more than 0, such as 30 (seconds) or "30s", found "0" (from env RINGRIFT_DAEMON_HEALTH_INTERVAL)',
      'settings.shutdownTimeout: expected a duration such as 30 (seconds) or "30s", found "soon" (from env RINGRIFT_DAEMON_SHUTDOWN_TIMEOUT)',
      'settings.store: expected a store URL: "sqlite:PATH", "postgres://…" or "memory:", found "mysql://db" (from env RINGRIFT_STORE)',
    ]);
  });

  it("reports every problem from every layer at once", () => {
    const { dir, file } = yamlFile(
      "daemons:\n  auto_sync:\n    batchSize: many\n    interval: soon\n",
    );
    const problems = problemsOf(() =>
      resolveConfig(
        config({
          overridesFile: "overrides.yaml",
          daemonConfig: { my_new_daemon: { maxRetries: 1.5, bogus: 1 }, ghost: {} },
        }),
        {
          cwd: dir,
          env: { RINGRIFT_MY_NEW_DAEMON_DRY_RUN: "maybe", RINGRIFT_DAEMON_HEALTH_PORT: "http" },
        },
      ),
    );
    expect(problems).toEqual([
      "daemonConfig.ghost: not a declared daemon (from the config file)",
      'settings.http.port: expected a port number from 0 to 65535, found "http" (from env RINGRIFT_DAEMON_HEALTH_PORT)',
      `auto_sync.interval: expected a duration such as 60 (seconds), "500ms" or "5m", found "soon" (from ${file})`,
      `auto_sync.batchSize: expected a number, found "many" (from ${file})`,
      "my_new_daemon.bogus: not a config key of my_new_daemon (from the config file's daemonConfig)",
      'my_new_daemon.dryRun: expected a boolean (true/false, 1/0, yes/no), found "maybe" (from env RINGRIFT_MY_NEW_DAEMON_DRY_RUN)',
      "my_new_daemon.maxRetries: expected a whole number, found 1.5 (from the config file's daemonConfig)",
    ]);
    const error = (() => {
      try {
        resolveConfig(config({ daemonConfig: { ghost: {} } }), { env: { RINGRIFT_STORE: "x" } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message.split("\n")).toHaveLength(3); // "2 configuration problems:" + one line each
  });

  it("refuses an interval for a daemon without a cycle", () => {
    const problems = problemsOf(() =>
      resolveConfig(config(), { env: { RINGRIFT_EVENT_ROUTER_INTERVAL: "10" } }),
    );
    expect(problems).toEqual([
      'event_router.interval: event_router has no cycle hook, so an interval would do nothing, found "10" (from env RINGRIFT_EVENT_ROUTER_INTERVAL)',
    ]);
  });

  it("ignores stale stored overrides with a warning, and warns about stray env variables", () => {
    const resolved = resolveConfig(config(), {
      env: { RINGRIFT_AUTO_SYNC_BATCHSIZE: "5", RINGRIFT_UNRELATED: "x" },
      storedOverrides: { gone_daemon: { x: 1 }, auto_sync: { oldKey: 1 } },
    });
    expect(resolved.daemons.get("auto_sync")?.config).toEqual({ batchSize: 100, mode: "push" });
    expect(resolved.warnings).toEqual([
      "overrides saved in the store for gone_daemon ignored: no such daemon",
      "auto_sync.oldKey: saved in the store but not a config key of auto_sync; ignored",
      'env RINGRIFT_AUTO_SYNC_BATCHSIZE is set but is not a config key of auto_sync (did you mean "RINGRIFT_AUTO_SYNC_BATCH_SIZE"?); ignored',
    ]);
  });

  it("reports YAML that cannot be read or has the wrong shape", () => {
    const bad = yamlFile("daemons: [1, 2\n");
    expect(
      problemsOf(() => resolveConfig(config({ overridesFile: bad.file }), { env: {} }))[0],
    ).toMatch(new RegExp(`^${bad.file}: not valid YAML: `));
    const list = yamlFile("- auto_sync\n");
    expect(
      problemsOf(() => resolveConfig(config({ overridesFile: list.file }), { env: {} })),
    ).toEqual([`${list.file}: expected a mapping with a "daemons" key, found a list`]);
  });

  it("coerces env text for unions, nullables and objects by what the schema accepts", () => {
    const flexible = defineDaemon({
      name: "flexible",
      config: z.object({
        limit: z.union([z.number(), z.literal("auto")]).default("auto"),
        owner: z.string().nullable().default("ops"),
        retry: z.object({ times: z.number() }).optional(),
      }),
    });
    const resolved = resolveConfig(defineConfig({ daemons: [flexible] }), {
      env: {
        RINGMASTER_FLEXIBLE_LIMIT: "12",
        RINGMASTER_FLEXIBLE_OWNER: "null",
        RINGMASTER_FLEXIBLE_RETRY: '{"times":2}',
      },
    });
    expect(resolved.daemons.get("flexible")?.config).toEqual({
      limit: 12,
      owner: null,
      retry: { times: 2 },
    });
    const problems = problemsOf(() =>
      resolveConfig(defineConfig({ daemons: [flexible] }), {
        env: { RINGMASTER_FLEXIBLE_RETRY: "twice" },
      }),
    );
    expect(problems).toEqual([
      'flexible.retry: expected a JSON object, found "twice" (from env RINGMASTER_FLEXIBLE_RETRY)',
    ]);
  });
});
