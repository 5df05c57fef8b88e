import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, EXAMPLE_CONFIG, RINGMASTER, tempDir } from "./helpers.js";

const BROKEN_ORDER = `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const d = (name, dependsOn = []) => defineDaemon({ name, dependsOn });
export default defineConfig({
  daemons: [d("event_router"), d("feedback_loop", ["event_router"]), d("data_pipeline", ["event_router", "auto_sync"]), d("quality_monitor"), d("auto_sync", ["event_router"])],
  startupOrder: ["event_router", "feedback_loop", "data_pipeline", "quality_monitor", "auto_sync"],
  store: "memory:",
});
`;

describe("ringmaster validate", () => {
  it("passes the example fleet: the deprecation warning, a summary, exit 0", async () => {
    const r = await cli(["validate", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "warning: node_health_monitor is deprecated: superseded by cluster_monitor and cluster_watchdog; will be removed [deprecated]",
    );
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "✓ valid: 27 daemons, 6 profiles, 0 errors, 1 warning", // 26 + the Python selfplay_worker
    );
    expect(r.stderr).toBe("");
  });

  it("prints a start-order violation in the seeds' wording and exits 1", async () => {
    const dir = tempDir({ "ringmaster.config.mjs": BROKEN_ORDER });
    const r = await cli(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toContain(
      "error: data_pipeline (pos 3) depends on auto_sync (pos 5), but auto_sync starts after data_pipeline [startup-order]",
    );
    expect(r.stdout).toContain("✗ invalid: 5 daemons, 0 profiles, 1 error, 0 warnings");
  });

  it("reports a bad environment value with the variable's name and exits 1", async () => {
    const r = await cli(["validate", "--config", EXAMPLE_CONFIG], {
      env: { RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES: "lots" },
    });
    expect(r.code).toBe(1);
    const line = r.stdout
      .split("\n")
      .find((l) => l.includes("RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES"));
    expect(line).toMatch(/^error: .*training_trigger.*thresholdGames.*"lots"/);
  });

  it("accepts a good environment value", async () => {
    const r = await cli(["validate", "--config", EXAMPLE_CONFIG], {
      env: { RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES: "200" },
    });
    expect(r.code).toBe(0);
  });

  it("exits 1 with one line when there is no config file", async () => {
    const dir = tempDir();
    const r = await cli(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: no config file: pass --config FILE or create ringmaster.config.ts in ${dir}\n`,
    );
  });

  it("exits 1 naming the file when the config module does not load", async () => {
    const dir = tempDir({ "bad.config.mjs": "export default { nope: true };\n" });
    const r = await cli(["validate", "--config", "bad.config.mjs"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, "bad.config.mjs"));
  });
});

describe("ringmaster graph", () => {
  it("draws the example's graph as text by level", async () => {
    const r = await cli(["graph", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("level 0: event_router");
    expect(lines.find((l) => l.includes("model_distribution"))).toMatch(
      /model_distribution\s+← event_router, evaluation, auto_promotion/,
    );
  });

  it("draws Mermaid with an edge from each dependency to its dependent", async () => {
    const r = await cli(["graph", "--format", "mermaid", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^graph TD\n/);
    expect(r.stdout).toContain("  auto_promotion --> model_distribution\n");
    expect(r.stdout).toContain("  auto_export --> training_trigger\n");
  });

  it("draws DOT", async () => {
    const r = await cli(["graph", "-f", "dot", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digraph ringmaster \{/);
    expect(r.stdout).toContain('"selfplay_coordinator" -> "queue_populator";');
    expect(r.stdout.trimEnd().endsWith("}")).toBe(true);
  });

  it("refuses an unknown format with a usage error (exit 2)", async () => {
    const r = await cli(["graph", "--format", "png", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Allowed choices are text, mermaid, dot");
  });
});

describe("ringmaster list", () => {
  it("lists every daemon in start order with category, dependencies and schedule", async () => {
    const r = await cli(["list", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^NAME\s+CATEGORY\s+DEPENDS ON\s+SCHEDULE\s+NOTES$/);
    expect(rows).toHaveLength(28); // header + 27 daemons (with the Python selfplay_worker)
    expect(rows[1]).toMatch(/^event_router\s+event\s+-\s+run$/);
    expect(rows.find((l) => l.startsWith("auto_sync "))).toMatch(
      /^auto_sync\s+sync\s+event_router, data_pipeline, feedback_loop\s+every 3s$/,
    );
    expect(rows.find((l) => l.startsWith("distillation "))).toMatch(/cron \*\/10 \* \* \* \* \*$/);
    expect(rows.find((l) => l.startsWith("data_pipeline "))).toMatch(/\bevents$/);
  });

  it("filters by category in any case", async () => {
    const r = await cli(["list", "--category", "SYNC,Distribution", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    const names = r.stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(["auto_sync", "model_distribution"]);
  });

  it("shows only deprecated daemons with their message", async () => {
    const r = await cli(["list", "--deprecated", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split("\n");
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(
      /^node_health_monitor\s+health\s+event_router\s+every 5s\s+deprecated: superseded by cluster_monitor/,
    );
  });

  it("prints JSON with --json", async () => {
    const r = await cli(["list", "--json", "--category", "evaluation", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((d) => d.name)).toEqual([
      "quality_monitor",
      "distillation",
      "evaluation",
      "unified_promotion",
      "auto_promotion",
    ]);
    expect(rows.find((d) => d.name === "auto_promotion")).toMatchObject({
      category: "evaluation",
      dependsOn: ["event_router", "evaluation"],
      subscribes: ["EVALUATION_COMPLETED"],
      emits: ["MODEL_PROMOTED"],
      deprecated: null,
    });
  });

  it("refuses an unknown category with a suggestion (exit 2)", async () => {
    const r = await cli(["list", "--category", "sinc", "--config", EXAMPLE_CONFIG]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown category "sinc" (did you mean "sync"?)');
  });
});

describe("the program", () => {
  for (const command of ["start", "validate", "graph", "list"]) {
    it(`${command} --help shows usage with an example and exits 0`, async () => {
      const r = await cli([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: ringmaster ${command}`);
      expect(r.stdout).toMatch(/Examples?:\n {2}\$ ringmaster /);
    });
  }

  it("exits 2 on an unknown command, with a suggestion", async () => {
    const r = await cli(["lsit"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'lsit'");
    expect(r.stderr).toContain("list");
  });

  it("exits 2 on an unknown option", async () => {
    const r = await cli(["list", "--colour"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--colour'");
  });

  it("prints the version", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
