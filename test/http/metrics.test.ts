import { spawn, spawnSync } from "node:child_process";
import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { idleProcess, idleWorker } from "../isolation/fixtures/fleet.js";
import { serve, ticker, until } from "./helpers.js";

const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;
if (!hasPromtool)
  console.warn(
    "[test/http/metrics] promtool is missing: skipping its check (apt-get install -y prometheus)",
  );

/** Runs `promtool check metrics` with `text` on stdin. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"]);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

async function fleet() {
  let n = 0;
  const failing = defineDaemon({
    name: "sometimes_fails",
    interval: 30,
    maxConsecutiveErrors: 100,
    cycle() {
      n++;
      if (n % 2 === 0) throw new Error("every other cycle");
    },
  });
  const emitter = defineDaemon({
    name: "emitter",
    interval: 30,
    emits: ["PING"] as never,
    cycle: (ctx) => void ctx.events.publish("PING" as never, { n } as never),
  });
  const sink = defineDaemon({
    name: "sink",
    subscribes: ["PING"] as never,
    setup: (ctx) => void ctx.events.subscribe("PING" as never, () => {}),
  });
  return serve([ticker("alpha"), failing, emitter, sink]);
}

describe("GET /metrics", () => {
  it.skipIf(!hasPromtool)("is accepted by promtool check metrics", async () => {
    const { manager, url } = await fleet();
    await until(() => manager.status("sometimes_fails").cycleErrors >= 2);
    await fetch(`${url}/metrics`); // a second scrape exercises the sampled histogram
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const result = await promtoolCheck(await response.text());
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it.runIf(!hasPromtool)("is checked by promtool (SKIPPED: promtool is not installed)", () => {
    console.warn(
      "promtool not found: install Debian's `prometheus` package to check /metrics (the CI does)",
    );
  });

  it("has the key series, read from the manager at scrape time", async () => {
    const { manager, url } = await fleet();
    await until(() => manager.status("sometimes_fails").cycleErrors >= 2);
    await until(() => manager.events.stats().delivered >= 2);
    await manager.restartDaemon("alpha");
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('ringmaster_daemon_state{daemon="alpha",state="running"}')).toBe(1);
    expect(value('ringmaster_daemon_state{daemon="alpha",state="stopped"}')).toBe(0);
    expect(value('ringmaster_daemon_health{daemon="alpha",status="healthy"}')).toBe(1);
    expect(value('ringmaster_daemon_restarts_total{daemon="alpha"}')).toBe(1);
    expect(
      value('ringmaster_daemon_cycle_errors_total{daemon="sometimes_fails"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value('ringmaster_daemon_cycles_total{daemon="sometimes_fails"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(value('ringmaster_daemon_cycle_duration_seconds_count{daemon="alpha"}')).toBe(1);
    expect(value("ringmaster_events_published_total")).toBeGreaterThanOrEqual(2);
    expect(value("ringmaster_events_delivered_total")).toBeGreaterThanOrEqual(2);
    expect(value("ringmaster_events_dead_lettered_total")).toBe(0);
    expect(value('ringmaster_mailbox_depth{subscriber="sink"}')).toBeGreaterThanOrEqual(0);
    expect(value("ringmaster_manager_ready")).toBe(1);
    expect(value("ringmaster_manager_live")).toBe(1);
    expect(text).toMatch(/^ringmaster_nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^ringmaster_process_cpu_seconds_total \d/m);
    expect(text).not.toMatch(/^(?!ringmaster_|#|$)/m); // every series is prefixed
  });

  it("keeps separate registries for managers in one process", async () => {
    const a = await serve([ticker("only_in_a")]);
    const b = await serve([ticker("only_in_b")]);
    const textA = await (await fetch(`${a.url}/metrics`)).text();
    const textB = await (await fetch(`${b.url}/metrics`)).text();
    expect(textA).toContain('daemon="only_in_a"');
    expect(textA).not.toContain('daemon="only_in_b"');
    expect(textB).toContain('daemon="only_in_b"');
  });

  it("shows each isolated daemon's kind, pid or thread, memory and CPU, read at scrape time", async () => {
    const program = defineDaemon({
      name: "program",
      command: ["sh", "-c", "sleep 1000 & wait"],
      killTimeout: 300,
    });
    const { manager, url } = await serve([idleProcess, idleWorker, program, ticker("alpha")]);
    await until(
      () =>
        manager.status("idle_worker").isolation.cpuPercent !== undefined &&
        manager.status("idle_process").isolation.rssBytes !== undefined &&
        manager.status("program").isolation.cpuPercent !== undefined,
      10_000,
    );
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const proc = manager.status("idle_process").isolation;
    const thread = manager.status("idle_worker").isolation;
    const command = manager.status("program").isolation;
    const info = (daemon: string, kind: string, pid: unknown, threadId: unknown) =>
      `ringmaster_daemon_isolation_info{daemon="${daemon}",kind="${kind}",pid="${pid}",thread_id="${threadId}"}`;
    expect(value(info("idle_process", "process", proc.pid, ""))).toBe(1);
    expect(value(info("idle_worker", "worker", "", thread.threadId))).toBe(1);
    expect(value(info("program", "command", command.pid, ""))).toBe(1);
    expect(text).not.toMatch(/^ringmaster_daemon_\w+\{daemon="alpha"[^}]*kind=/m); // inline: none

    expect(
      value('ringmaster_daemon_rss_bytes{daemon="idle_process",kind="process"}'),
    ).toBeGreaterThan(10 * 2 ** 20);
    expect(value('ringmaster_daemon_rss_bytes{daemon="program",kind="command"}')).toBeGreaterThan(
      0,
    );
    expect(
      value('ringmaster_daemon_rss_bytes{daemon="idle_worker",kind="worker"}'),
    ).toBeUndefined();
    expect(
      value('ringmaster_daemon_heap_bytes{daemon="idle_worker",kind="worker"}'),
    ).toBeGreaterThan(0);
    expect(
      value('ringmaster_daemon_heap_bytes{daemon="idle_process",kind="process"}'),
    ).toBeGreaterThan(0);
    for (const [daemon, kind] of [
      ["idle_process", "process"],
      ["idle_worker", "worker"],
      ["program", "command"],
    ])
      expect(
        value(`ringmaster_daemon_cpu_ratio{daemon="${daemon}",kind="${kind}"}`),
      ).toBeGreaterThanOrEqual(0);

    // A stopped program has no pid and no figures; a new one shows up at the next scrape.
    await manager.stopDaemon("program");
    const stopped = await (await fetch(`${url}/metrics`)).text();
    expect(stopped).toContain(
      'ringmaster_daemon_isolation_info{daemon="program",kind="command",pid="",thread_id=""} 1',
    );
    expect(stopped).not.toMatch(/^ringmaster_daemon_(rss_bytes|cpu_ratio)\{daemon="program"/m);
    if (hasPromtool)
      for (const scrape of [text, stopped]) {
        const result = await promtoolCheck(scrape);
        expect(result.output).toBe("");
        expect(result.code).toBe(0);
      }
  }, 30_000);
});
