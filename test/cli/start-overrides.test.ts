// `ringmaster start --overrides FILE` (issue 15, item 9): the seeds' `--overrides config/unified_loop.yaml`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Captured, cli, RINGMASTER, signalSource, tempDir } from "./helpers.js";

const CONFIG = `
import { z } from "zod";
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const trigger = defineDaemon({
  name: "training_trigger",
  config: z.object({ thresholdGames: z.number().int().default(500) }),
  setup(ctx) { ctx.log.info("threshold " + ctx.config.thresholdGames); },
});
export default defineConfig({ daemons: [trigger], store: "memory:", http: false });
`;

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function thresholdShown(argv: string[], env: Record<string, string>, cwd: string) {
  const signals = signalSource();
  const out: Captured = { stdout: "", stderr: "" };
  const run = cli(["start", "--no-tui", ...argv], { cwd, signals, out, env });
  await until(() => /threshold \d+/.test(out.stdout) || out.stderr !== "", "the setup log line");
  signals.emit("SIGINT");
  const r = await run;
  return { code: r.code, threshold: /threshold (\d+)/.exec(r.stdout)?.[1], stderr: r.stderr };
}

describe("ringmaster start --overrides", () => {
  it("applies the YAML file named on the command line, over RINGMASTER_OVERRIDES", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": CONFIG });
    mkdirSync(join(dir, "config"));
    writeFileSync(
      join(dir, "config/unified_loop.yaml"),
      "daemons:\n  training_trigger:\n    threshold_games: 1000\n",
    );
    writeFileSync(
      join(dir, "env.yaml"),
      "daemons:\n  training_trigger:\n    threshold_games: 42\n",
    );

    const flag = await thresholdShown(
      ["--overrides", "config/unified_loop.yaml"],
      { RINGMASTER_OVERRIDES: join(dir, "env.yaml") },
      dir,
    );
    expect(flag).toEqual({ code: 0, threshold: "1000", stderr: "" });

    const env = await thresholdShown([], { RINGMASTER_OVERRIDES: join(dir, "env.yaml") }, dir);
    expect(env).toEqual({ code: 0, threshold: "42", stderr: "" });
  });

  it("refuses a file whose keys are not the daemon's, before any daemon runs", async () => {
    const dir = tempDir({
      "ringmaster.config.mjs": CONFIG,
      "bad.yaml": "daemons:\n  training_trigger:\n    threshold_gamez: 1\n",
    });
    const r = await cli(["start", "--no-tui", "--overrides", "bad.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, "bad.yaml")}: daemons.training_trigger.threshold_gamez is not a config key of training_trigger (did you mean "thresholdGames"?)`,
    );
    expect(r.stdout).not.toContain("threshold");
  });
});
