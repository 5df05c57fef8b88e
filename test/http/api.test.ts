import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getJson, serve, ticker, until } from "./helpers.js";

// Changes go as JSON, `{}` when there is nothing to say (the server refuses others).
const post = (url: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  getJson(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const patch = (url: string, body: unknown) =>
  getJson(url, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

function pipeline() {
  const router = defineDaemon({
    name: "event_router",
    category: "core",
    interval: 50,
    emits: ["DATA_SYNC_COMPLETED"],
    cycle(ctx) {
      ctx.log.info("routed", { n: ctx.stats.cycles });
    },
  });
  const sync = defineDaemon({
    name: "auto_sync",
    category: "sync",
    description: "Push new data to peers",
    dependsOn: [router],
    subscribes: ["DATA_SYNC_COMPLETED"],
    config: z.object({
      batchSize: z.number().int().positive().default(100),
      target: z.string().default("peers"),
    }),
    interval: 100,
    setup(ctx) {
      ctx.events.subscribe("DATA_SYNC_COMPLETED" as never, () => {
        throw new Error("handler broke");
      });
    },
    cycle(ctx) {
      ctx.log.warn("slow peer");
    },
  });
  return serve([router, sync], { events: { maxAttempts: 1, retryDelay: 1 } });
}

describe("the daemon API", () => {
  it("GET /api/daemons lists every daemon's status, filterable", async () => {
    const { url } = await pipeline();
    const all = await getJson(`${url}/api/daemons`);
    expect(all.status).toBe(200);
    expect(all.body.map((d: { name: string }) => d.name)).toEqual(["event_router", "auto_sync"]);
    expect(all.body[1]).toMatchObject({
      name: "auto_sync",
      state: "running",
      ready: true,
      dependsOn: ["event_router"],
      health: { status: expect.any(String) },
      schedule: { interval: 100, cron: null },
    });
    const sync = await getJson(`${url}/api/daemons?category=sync`);
    expect(sync.body.map((d: { name: string }) => d.name)).toEqual(["auto_sync"]);
    // A filtered answer (never cached) is the same JSON as the whole list's entries.
    expect(sync.headers.get("content-type")).toBe(all.headers.get("content-type"));
    expect(Object.keys(sync.body[0]).sort()).toEqual(Object.keys(all.body[1]).sort());
    expect(sync.body[0]).toMatchObject({
      name: "auto_sync",
      description: "Push new data to peers",
      dependsOn: ["event_router"],
      subscribes: ["DATA_SYNC_COMPLETED"],
      health: { status: all.body[1].health.status, source: all.body[1].health.source },
      schedule: { interval: 100, cron: null },
      isolation: all.body[1].isolation,
    });
    const running = await getJson(`${url}/api/daemons?state=running`);
    expect(running.body.map((d: { name: string }) => d.name)).toEqual([
      "event_router",
      "auto_sync",
    ]);
  });

  it("GET /api/daemons/:name gives spec details, config with sources and transitions, in any case", async () => {
    const { url } = await pipeline();
    const detail = await getJson(`${url}/api/daemons/AUTO_SYNC`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      name: "auto_sync",
      description: "Push new data to peers",
      dependsOn: ["event_router"],
      dependents: [],
      subscribes: ["DATA_SYNC_COMPLETED"],
      options: { restart: { policy: "on-failure", maxRestarts: 5 }, kind: "cycle" },
      config: {
        values: { batchSize: 100, target: "peers" },
        sources: { batchSize: { kind: "default" } },
        pending: {},
      },
    });
    expect(detail.body.transitions.map((t: { to: string }) => t.to)).toEqual([
      "waiting",
      "starting",
      "running",
    ]);
  });

  it("answers 404 with a suggestion for an unknown daemon, on every daemon route", async () => {
    const { url } = await pipeline();
    for (const path of ["", "/health", "/logs"]) {
      const answer = await getJson(`${url}/api/daemons/auto_synk${path}`);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        statusCode: 404,
        error: "Not Found",
        message: 'unknown daemon "auto_synk" (did you mean "auto_sync"?)',
      });
    }
    expect((await post(`${url}/api/daemons/nope/restart`)).status).toBe(404);
    expect((await patch(`${url}/api/daemons/nope/config`, { a: 1 })).status).toBe(404);
  });

  it("GET /api/daemons/:name/health runs the check now", async () => {
    const { url } = await pipeline();
    const before = Date.now();
    const answer = await getJson(`${url}/api/daemons/auto_sync/health`);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("healthy");
    expect(answer.body.checkedAt).toBeGreaterThanOrEqual(before);
  });

  it("GET /api/daemons/:name/logs filters by level, since and limit, and rejects bad input", async () => {
    const { manager, url } = await pipeline();
    await until(() => manager.status("event_router").cycles >= 3);
    const logs = await getJson(`${url}/api/daemons/event_router/logs?limit=2`);
    expect(logs.status).toBe(200);
    expect(logs.body).toHaveLength(2);
    expect(logs.body[0]).toMatchObject({
      daemon: "event_router",
      level: "info",
      message: "routed",
    });
    const warnOnly = await getJson(`${url}/api/daemons/event_router/logs?level=warn`);
    expect(warnOnly.body).toEqual([]);
    const recent = await getJson(`${url}/api/daemons/auto_sync/logs?level=warn&since=1m`);
    expect(recent.body.length).toBeGreaterThan(0);
    const future = await getJson(`${url}/api/daemons/auto_sync/logs?since=${Date.now() + 60_000}`);
    expect(future.body).toEqual([]);

    const badLevel = await getJson(`${url}/api/daemons/auto_sync/logs?level=loud`);
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.message).toMatch(/querystring\/level must be equal to one of/);
    const badLimit = await getJson(`${url}/api/daemons/auto_sync/logs?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.message).toMatch(/querystring\/limit must be >= 1/);
    const badSince = await getJson(`${url}/api/daemons/auto_sync/logs?since=yesterday-ish`);
    expect(badSince.status).toBe(400);
    expect(badSince.body.message).toMatch(/^querystring\/since: expected/);
  });

  it("POST start/stop/restart/pause/resume change state and answer the new status; conflicts are 409", async () => {
    const { manager, url } = await pipeline();
    const paused = await post(`${url}/api/daemons/auto_sync/pause`);
    expect(paused).toMatchObject({ status: 200, body: { name: "auto_sync", state: "paused" } });
    const pausedAgain = await post(`${url}/api/daemons/auto_sync/pause`);
    expect(pausedAgain.status).toBe(409);
    expect(pausedAgain.body.message).toBe("cannot pause auto_sync: it is paused");
    expect((await post(`${url}/api/daemons/Auto_Sync/resume`)).body.state).toBe("running");

    const restarted = await post(`${url}/api/daemons/auto_sync/restart`);
    expect(restarted.body).toMatchObject({ state: "running", restarts: 1 });

    const stopped = await post(`${url}/api/daemons/auto_sync/stop`);
    expect(stopped.body.state).toBe("stopped");
    const resumeStopped = await post(`${url}/api/daemons/auto_sync/resume`);
    expect(resumeStopped.status).toBe(409);
    expect(resumeStopped.body).toEqual({
      statusCode: 409,
      error: "Conflict",
      message: "cannot resume auto_sync: it is stopped",
    });
    const started = await post(`${url}/api/daemons/auto_sync/start`);
    expect(started.body.state).toBe("running");
    expect(manager.status("auto_sync").state).toBe("running");
  });

  it("PATCH /api/daemons/:name/config validates against the schema and keeps the patch for the next start", async () => {
    const { url } = await pipeline();
    const ok = await patch(`${url}/api/daemons/auto_sync/config`, {
      batchSize: 50,
      interval: "2s",
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      name: "auto_sync",
      applied: false,
      pending: { batchSize: 50, interval: 2_000 },
    });
    const detail = await getJson(`${url}/api/daemons/auto_sync`);
    expect(detail.body.config.pending).toMatchObject({ batchSize: 50, interval: 2_000 });

    const bad = await patch(`${url}/api/daemons/auto_sync/config`, { batchSize: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^invalid config for auto_sync: batchSize: .*found -1$/);
    const wrongType = await patch(`${url}/api/daemons/auto_sync/config`, { target: 3 });
    expect(wrongType.body.message).toBe(
      "invalid config for auto_sync: target: expected a string, found 3",
    );
    const typo = await patch(`${url}/api/daemons/auto_sync/config`, { batchSiz: 5 });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toMatch(
      /batchSiz: not a config key of auto_sync \(did you mean "batchSize"\?\)/,
    );
    const notObject = await patch(`${url}/api/daemons/auto_sync/config`, [1, 2]);
    expect(notObject.status).toBe(400);
    expect(notObject.body.message).toBe("body must be object");
    const empty = await patch(`${url}/api/daemons/auto_sync/config`, {});
    expect(empty.status).toBe(400);
  });
});

describe("events, dead letters, jobs, graph, nodes", () => {
  it("GET /api/events lists recent events; dead letters list and retry; unknown ids are 404", async () => {
    const { manager, url } = await pipeline();
    manager.events.publish("DATA_SYNC_COMPLETED" as never, { files: 3 } as never);
    await until(() => manager.events.deadLetters().length === 1);

    const events = await getJson(`${url}/api/events?limit=5`);
    expect(events.status).toBe(200);
    expect(events.body.at(-1)).toMatchObject({
      type: "DATA_SYNC_COMPLETED",
      payload: { files: 3 },
      source: "manager",
    });
    expect((await getJson(`${url}/api/events?limit=-3`)).status).toBe(400);

    const letters = await getJson(`${url}/api/dead-letters`);
    expect(letters.body).toHaveLength(1);
    expect(letters.body[0]).toMatchObject({
      subscriber: "auto_sync",
      reason: "handler-failed",
      error: "handler broke",
      event: { type: "DATA_SYNC_COMPLETED" },
    });
    const retried = await post(`${url}/api/dead-letters/${letters.body[0].id}/retry`);
    expect(retried).toMatchObject({ status: 200, body: { retried: true } });
    await until(() => manager.events.stats().deadLettered === 2); // it broke again
    const unknown = await post(`${url}/api/dead-letters/no-such-id/retry`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('no dead letter with id "no-such-id"');
  });

  it("/api/jobs answers cleanly when no job was launched", async () => {
    const { url } = await pipeline();
    expect(await getJson(`${url}/api/jobs`)).toMatchObject({ status: 200, body: [] });
    const one = await getJson(`${url}/api/jobs/j1`);
    expect(one.status).toBe(404);
    expect(one.body.message).toBe('no job with id "j1"');
    expect((await post(`${url}/api/jobs/j1/cancel`, { reason: "test" })).status).toBe(404);
    expect((await getJson(`${url}/api/jobs?status=exploded`)).status).toBe(400);
  });

  it("GET /api/graph gives nodes with state and edges, or a drawing", async () => {
    const { url } = await pipeline();
    const graph = await getJson(`${url}/api/graph`);
    expect(graph.body.nodes).toEqual([
      expect.objectContaining({ name: "event_router", state: "running", level: 0 }),
      expect.objectContaining({ name: "auto_sync", state: "running", level: 1 }),
    ]);
    expect(graph.body.edges).toEqual([
      { from: "auto_sync", to: "event_router", kind: "dependsOn" },
    ]);
    expect(graph.body.eventEdges).toEqual([
      { from: "event_router", to: "auto_sync", type: "DATA_SYNC_COMPLETED" },
    ]);
    for (const format of ["mermaid", "dot", "text"]) {
      const response = await fetch(`${url}/api/graph?format=${format}`);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toContain("auto_sync");
      expect(text).toContain("running");
    }
    expect(await fetch(`${url}/api/graph?format=mermaid`).then((r) => r.text())).toMatch(
      /^graph TD/,
    );
    expect(await fetch(`${url}/api/graph?format=dot`).then((r) => r.text())).toMatch(/^digraph/);
    expect((await getJson(`${url}/api/graph?format=svg`)).status).toBe(400);
  });

  it("GET /api/nodes shows this node", async () => {
    const { url } = await pipeline();
    const nodes = await getJson(`${url}/api/nodes`);
    expect(nodes.body).toEqual([
      expect.objectContaining({ pid: process.pid, self: true, url, started: true, ready: true }),
    ]);
  });

  it("answers 404 for unknown routes without a stack trace", async () => {
    const { url } = await pipeline();
    const answer = await getJson(`${url}/api/nothing?x=1`);
    expect(answer).toMatchObject({
      status: 404,
      body: { statusCode: 404, message: "no route GET /api/nothing" },
    });
  });
});

describe("the seeds' paths", () => {
  it("GET /daemon/status lists every daemon, as JSON or in the seed's text form", async () => {
    const { manager, url } = await serve([ticker("event_router"), ticker("evaluation")]);
    await manager.stopDaemon("evaluation");
    const json = await getJson(`${url}/daemon/status`);
    expect(json.status).toBe(200);
    expect(json.body.daemons).toEqual([
      expect.objectContaining({ name: "event_router", state: "RUNNING", health: "healthy" }),
      expect.objectContaining({ name: "evaluation", state: "STOPPED" }),
    ]);
    const text = await (await fetch(`${url}/daemon/status?format=text`)).text();
    expect(text).toBe("event_router: RUNNING (healthy)\nevaluation: STOPPED\n");
  });

  it("GET /daemon/:name/health answers the last check: 200 healthy, 503 unhealthy, 404 unknown", async () => {
    let healthy = true;
    const watched = defineDaemon({
      name: "auto_sync",
      interval: 50,
      cycle() {},
      health: () => ({ healthy, message: healthy ? "ok" : "2 sync errors" }),
    });
    const { url } = await serve([watched]);
    expect(await getJson(`${url}/daemon/AUTO_SYNC/health`)).toMatchObject({
      status: 200,
      body: { name: "auto_sync", healthy: true, status: "healthy", message: "ok" },
    });
    healthy = false;
    // A GET does not run the hook: it still answers the last check, until one runs.
    expect(await getJson(`${url}/daemon/auto_sync/health`)).toMatchObject({
      status: 200,
      body: { healthy: true },
    });
    expect(await post(`${url}/api/daemons/auto_sync/health`)).toMatchObject({
      status: 200,
      body: { status: "unhealthy", message: "2 sync errors" },
    });
    expect(await getJson(`${url}/daemon/auto_sync/health`)).toMatchObject({
      status: 503,
      body: { healthy: false, status: "unhealthy", message: "2 sync errors" },
    });
    expect((await getJson(`${url}/daemon/nope/health`)).status).toBe(404);
  });
});
