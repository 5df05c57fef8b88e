import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { findConfigFile, loadConfigFile } from "../../src/config/load.js";
import { ConfigError } from "../../src/registry/errors.js";

const defineUrl = pathToFileURL(
  fileURLToPath(new URL("../../src/registry/define.ts", import.meta.url)),
).href;

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-load-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function problemsOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfigFile", () => {
  it("loads a TypeScript config whose default export is a defineConfig result", async () => {
    const dir = project({
      "ringmaster.config.ts": `
        import { defineConfig, defineDaemon } from ${JSON.stringify(defineUrl)};
        const router: ReturnType<typeof defineDaemon> = defineDaemon({ name: "event_router" });
        export default defineConfig({
          envPrefix: "RINGRIFT",
          daemons: [router, defineDaemon({ name: "auto_sync", dependsOn: [router] })],
        });
      `,
    });
    const config = await loadConfigFile(join(dir, "ringmaster.config.ts"));
    expect(config.kind).toBe("config");
    expect(config.envPrefix).toBe("RINGRIFT");
    expect(config.daemons.map((d) => [d.name, d.dependsOn])).toEqual([
      ["event_router", []],
      ["auto_sync", ["event_router"]],
    ]);
  });

  it("resolves a relative path against the current directory", async () => {
    const dir = project({ "ringmaster.config.mjs": "export default { daemons: [] };" });
    const config = await loadConfigFile(
      relative(process.cwd(), join(dir, "ringmaster.config.mjs")),
    );
    expect(config.kind).toBe("config");
  });

  it("passes a plain object, or a named `config` export, through defineConfig", async () => {
    const dir = project({
      "plain.mjs": `export default { daemons: [], store: "memory:" };`,
      "named.mts": `export const config = { daemons: [], envPrefix: "APP" };`,
    });
    const plain = await loadConfigFile(join(dir, "plain.mjs"));
    expect(plain).toMatchObject({ kind: "config", store: "memory:", envPrefix: "RINGMASTER" });
    const named = await loadConfigFile(join(dir, "named.mts"));
    expect(named).toMatchObject({ kind: "config", envPrefix: "APP" });
  });

  it("says which path it tried when the file does not exist", async () => {
    const dir = project({});
    expect(await problemsOf(() => loadConfigFile(join(dir, "nope.ts")))).toEqual([
      `config file not found: ${join(dir, "nope.ts")}`,
    ]);
  });

  it("explains a module without a default export and one of the wrong shape", async () => {
    const dir = project({
      "empty.mjs": "export const something = 1;",
      "wrong.mjs": "export default { deamons: [] };",
      "broken.mjs": "export default {",
    });
    expect(await problemsOf(() => loadConfigFile(join(dir, "empty.mjs")))).toEqual([
      `${join(dir, "empty.mjs")}: no default export; end the file with \`export default defineConfig({ daemons: [...] })\``,
    ]);
    expect(await problemsOf(() => loadConfigFile(join(dir, "wrong.mjs")))).toEqual([
      `${join(dir, "wrong.mjs")}: the default export should be defineConfig({ daemons: [...] }), found an object with keys deamons`,
    ]);
    const [broken] = await problemsOf(() => loadConfigFile(join(dir, "broken.mjs")));
    expect(broken).toMatch(
      new RegExp(`^${join(dir, "broken.mjs")}: the config module failed to load: `),
    );
  });

  it("refuses other file types", async () => {
    const dir = project({ "ringmaster.yaml": "daemons: []" });
    expect(await problemsOf(() => loadConfigFile(join(dir, "ringmaster.yaml")))).toEqual([
      `${join(dir, "ringmaster.yaml")}: cannot load a ".yaml" config file; use .ts, .mts, .js or .mjs`,
    ]);
  });
});

describe("findConfigFile", () => {
  it("finds ringmaster.config.{ts,mts,js,mjs}, preferring TypeScript", () => {
    expect(findConfigFile(project({}))).toBeUndefined();
    const js = project({ "ringmaster.config.mjs": "" });
    expect(findConfigFile(js)).toBe(join(js, "ringmaster.config.mjs"));
    const both = project({ "ringmaster.config.js": "", "ringmaster.config.ts": "" });
    expect(findConfigFile(both)).toBe(join(both, "ringmaster.config.ts"));
  });
});
