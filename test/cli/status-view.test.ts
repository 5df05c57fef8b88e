import { describe, expect, it } from "vitest";
import { painter, stripAnsi, visibleLength } from "../../src/cli/ansi.js";
import { renderStatusView, type StatusViewModel } from "../../src/cli/status-view.js";
import type { DaemonStatus } from "../../src/supervisor/types.js";
import { type Captured, cli, RINGMASTER, signalSource, tempDir } from "./helpers.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function status(name: string, over: Partial<DaemonStatus> = {}): DaemonStatus {
  return {
    name,
    description: "",
    category: "misc",
    state: "running",
    ready: true,
    requested: true,
    pulledInBy: [],
    waitingOn: [],
    health: { status: "healthy", message: "ok", details: {}, checkedAt: NOW, source: "hook" },
    restarts: 0,
    restartAttempt: 0,
    maxRestarts: 5,
    lastError: null,
    lastErrorAt: null,
    startedAt: NOW - 65_000,
    stoppedAt: null,
    unstopped: null,
    nextRestartAt: null,
    lastHeartbeatAt: null,
    heartbeat: null,
    cycles: 0,
    cycleErrors: 0,
    consecutiveErrors: 0,
    lastCycleAt: null,
    lastCycleDurationMs: null,
    stalls: 0,
    lastStall: null,
    dependsOn: [],
    dependents: [],
    subscribes: [],
    emits: [],
    critical: true,
    enabled: true,
    autoStart: true,
    deprecated: null,
    schedule: { interval: null, cron: null },
    isolation: { kind: "inline" },
    ...over,
  };
}

function model(statuses: DaemonStatus[], over: Partial<StatusViewModel> = {}): StatusViewModel {
  return {
    title: "ringmaster.config.ts",
    selection: "profile full",
    statuses,
    liveness: { ok: true, reasons: [] },
    readiness: { ok: false, reasons: ["cluster_monitor: backoff (restart 2/10 in 2s)"] },
    now: NOW,
    startedAt: NOW - 90_000,
    shuttingDown: false,
    logs: ["12:00:00.000 INFO  [auto_sync] synced 120 games"],
    width: 160,
    height: undefined,
    ...over,
  };
}

describe("the live status view", () => {
  const statuses = [
    status("event_router", {
      health: {
        status: "healthy",
        message: "routing",
        details: {},
        checkedAt: NOW,
        source: "hook",
      },
    }),
    status("auto_sync", {
      health: {
        status: "degraded",
        message: "2 sync errors",
        details: {},
        checkedAt: NOW,
        source: "hook",
      },
    }),
    status("cluster_monitor", {
      state: "backoff",
      restarts: 2,
      restartAttempt: 2,
      maxRestarts: 10,
      nextRestartAt: NOW + 2_000,
      lastError: "cluster API did not answer within 1500 ms",
      startedAt: null,
    }),
    status("training_trigger", { state: "waiting", waitingOn: ["auto_export"], startedAt: null }),
    status("model_distribution", { state: "failed", lastError: "disk full", startedAt: null }),
    status("distillation", { requested: false, state: "stopped" }),
  ];

  it("fits 80×24: the dashboard URL in the header, the interesting daemons first, then … N more", () => {
    const many = [
      ...Array.from({ length: 26 }, (_, i) => status(`daemon_${String(i).padStart(2, "0")}`)),
      ...statuses,
    ];
    const logs = Array.from({ length: 50 }, (_, i) => `log line ${i}`);
    const lines = renderStatusView(
      model(many, { width: 80, height: 24, logs, url: "http://127.0.0.1:8790" }),
      painter(false),
    );
    expect(lines).toHaveLength(24);
    for (const line of lines) expect(visibleLength(line)).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain("dashboard http://127.0.0.1:8790");
    expect(lines[1]).toMatch(/^31 daemons: 28 running · 1 waiting · 1 backoff · 1 failed/);
    const names = lines.slice(4).map((l) => l.split(/\s+/)[0]);
    // failed, backoff, degraded, waiting: before any of the healthy ones.
    expect(names.slice(0, 4)).toEqual([
      "model_distribution",
      "cluster_monitor",
      "auto_sync",
      "training_trigger",
    ]);
    const more = lines.find((l) => l.startsWith("… "));
    expect(more).toMatch(/^… \d+ more \(\d+ running\)$/);
    const shownRows = lines.indexOf(more as string) - 4;
    expect(shownRows + Number(/… (\d+)/.exec(more as string)?.[1])).toBe(31);
    expect(lines).toContain("log line 49");
    expect(lines[23]).toBe("Ctrl-C stops every daemon cleanly; press it twice to exit at once.");
  });

  it("shows a header with counts and probes, one row per requested daemon, and the log tail", () => {
    const lines = renderStatusView(model(statuses), painter(false));
    expect(lines[0]).toBe("ringmaster · ringmaster.config.ts · profile full · up 1m 30s");
    expect(lines[1]).toBe(
      "5 daemons: 2 running · 1 waiting · 1 backoff · 1 failed    liveness ok    readiness no cluster_monitor: backoff (restart 2/10 in 2s)",
    );
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `));
    expect(row("event_router")).toMatch(/^event_router\s+running\s+1m 5s\s+0\s+healthy routing$/);
    expect(row("auto_sync")).toMatch(/running\s+1m 5s\s+0\s+degraded 2 sync errors$/);
    expect(row("cluster_monitor")).toMatch(
      /^cluster_monitor\s+backoff\s+-\s+2\s+restart 2\/10 in 2s — cluster API did not answer within 1500 ms$/,
    );
    expect(row("training_trigger")).toMatch(/waiting\s+-\s+0\s+waiting on auto_export$/);
    expect(row("model_distribution")).toMatch(/failed\s+-\s+0\s+disk full$/);
    expect(row("distillation")).toBeUndefined();
    expect(lines).toContain("12:00:00.000 INFO  [auto_sync] synced 120 games");
  });

  it("colours states and fits every line to the terminal width", () => {
    const lines = renderStatusView(model(statuses, { width: 40 }), painter(true));
    const row = lines.find((l) => stripAnsi(l).startsWith("model_distribution"));
    expect(row).toContain("\x1b[31m\x1b[1mfailed");
    expect(lines.find((l) => stripAnsi(l).startsWith("event_router"))).toContain(
      "\x1b[32mrunning\x1b[39m",
    );
    for (const line of lines) expect(stripAnsi(line).length).toBeLessThanOrEqual(40);
  });

  it("keeps the newest log lines that fit under the table", () => {
    const logs = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const lines = renderStatusView(model(statuses, { logs, height: 20 }), painter(false));
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines).toContain("line 49");
    expect(lines).not.toContain("line 0");
  });

  it("is what start draws on a terminal, in the alternate screen, restored at shutdown", async () => {
    const dir = tempDir({
      "ringmaster.config.mjs": `
import { defineConfig, defineDaemon } from "${RINGMASTER}";
const a = defineDaemon({ name: "alpha", interval: "100ms", cycle() {}, health: () => ({ healthy: true, message: "fine" }) });
export default defineConfig({ daemons: [a], store: "memory:", http: false });
`,
    });
    const signals = signalSource();
    const out: Captured = { stdout: "", stderr: "" };
    const run = cli(["start"], { cwd: dir, signals, out, tty: true });
    const end = Date.now() + 10_000;
    while (!/alpha\s+\S*running/.test(stripAnsi(out.stdout)) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    signals.emit("SIGINT");
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith("\x1b[?1049h")).toBe(true);
    const plain = stripAnsi(r.stdout);
    expect(plain).toMatch(/1 daemon: 1 running · 0 waiting · 0 failed/);
    expect(plain).toContain("ringmaster: 1 running, 0 failed, 0 waiting");
    const leave = r.stdout.indexOf("\x1b[?1049l");
    expect(leave).toBeGreaterThan(0);
    expect(r.stdout.slice(leave)).toMatch(/shutting down…[\s\S]*shutdown complete: 1 stopped/);
  });
});
