import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withCliDefaults } from "../../src/cli/config.js";
import { defineConfig, defineDaemon } from "../../src/index.js";
import { cli, RINGMASTER, tempDir } from "./helpers.js";
import { served, ticker } from "./remote-helpers.js";

/** A config module that fails if anything loads it: proof that a command did without it. */
const UNLOADABLE = `throw new Error("the config was loaded");\n`;

describe("finding the manager without loading the config", () => {
  it("status finds the manager in the node record of the default store and never loads the config", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": UNLOADABLE });
    mkdirSync(join(dir, ".ringmaster"));
    await served([ticker("auto_sync")], { store: `sqlite:${join(dir, ".ringmaster/state.db")}` });
    const r = await cli(["status"], { cwd: dir });
    expect(r).toMatchObject({
      code: 0,
      stderr: "",
      stdout: "Daemon Status:\nauto_sync: RUNNING (healthy)\n",
    });
  });

  it("RINGMASTER_URL answers without the config", async () => {
    const { url } = await served([ticker("auto_sync")]);
    const dir = tempDir({ "ringmaster.config.mjs": UNLOADABLE });
    const r = await cli(["restart", "auto_sync"], { cwd: dir, env: { RINGMASTER_URL: url } });
    expect(r).toMatchObject({ code: 0, stdout: "auto_sync: RUNNING (healthy)\n" });
  });

  it("a manager with a token: a change without --token takes the token of the config's prefix", async () => {
    const { url } = await served(
      [ticker("auto_sync")],
      { envPrefix: "RINGRIFT" },
      {
        RINGRIFT_API_TOKEN: "s3cret",
      },
    );
    const dir = tempDir({
      "ringmaster.config.mjs": `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
export default defineConfig({ daemons: [defineDaemon({ name: "auto_sync" })], envPrefix: "RINGRIFT", store: "memory:" });
`,
    });
    const r = await cli(["restart", "auto_sync", "--url", url], {
      cwd: dir,
      env: { RINGRIFT_API_TOKEN: "s3cret" },
    });
    expect(r).toMatchObject({ code: 0, stdout: "auto_sync: RUNNING (healthy)\n" });
  });
});

describe("HTTP under the CLI", () => {
  const daemons = [defineDaemon({ name: "a" })];
  it("is on at 127.0.0.1:8790 when the config leaves http out", () => {
    expect(withCliDefaults(defineConfig({ daemons })).http).toEqual({
      host: "127.0.0.1",
      port: 8790,
    });
  });
  it("stays off with http: false and keeps the config's address otherwise", () => {
    expect(withCliDefaults(defineConfig({ daemons, http: false })).http).toBe(false);
    expect(withCliDefaults(defineConfig({ daemons, http: { port: 9000 } })).http).toEqual({
      host: "127.0.0.1",
      port: 9000,
    });
  });
});

describe("stop <name>", () => {
  it("says which dependents it also put into waiting", async () => {
    const db = ticker("database");
    const api = ticker("api", { dependsOn: ["database"] });
    const web = ticker("web", { dependsOn: ["api"] });
    const { url, manager } = await served([db, api, web, ticker("other")]);
    const r = await cli(["stop", "database", "--url", url]);
    expect(r.code).toBe(0);
    expect(manager.status("api").state).toBe("waiting");
    expect(manager.status("other").state).toBe("running");
    const waiting = ["api", "web"].filter((n) => manager.status(n).state === "waiting");
    expect(r.stdout).toBe(
      `database: STOPPED\n  also put into waiting (they depend on database): ${waiting.join(", ")}\n`,
    );
  });
});
