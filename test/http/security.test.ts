import { createManager, defineConfig } from "ringmaster";
import { describe, expect, it } from "vitest";
import { ApiError, createClient, ManagerUnreachableError } from "../../src/http/client.js";
import { isLoopbackHost } from "../../src/http/security.js";
import { startHttpServer } from "../../src/http/server.js";
import { inspectManager } from "../../src/manager/internal-access.js";
import { createServed, getJson, serve, ticker } from "./helpers.js";

const TOKEN = "s3cret-token";

describe("API token", () => {
  it("is required on mutations (401 without or wrong), not on reads", async () => {
    const { url } = await serve([ticker("alpha")], {}, { RINGMASTER_API_TOKEN: TOKEN });
    const restart = (headers: Record<string, string>) =>
      getJson(`${url}/api/daemons/alpha/restart`, { method: "POST", headers });
    const missing = await restart({});
    expect(missing.status).toBe(401);
    expect(missing.body.message).toBe("missing API token: send Authorization: Bearer <token>");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await restart({ authorization: "Bearer wrong" })).body.message).toBe("wrong API token");
    expect((await restart({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await restart({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    const ok = await restart({ authorization: `Bearer ${TOKEN}` });
    expect(ok).toMatchObject({ status: 200, body: { name: "alpha", state: "running" } });
    // 401 comes before validation: an unauthenticated caller learns nothing about the input.
    const patch = await getJson(`${url}/api/daemons/nope/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(patch.status).toBe(401);
    expect((await getJson(`${url}/api/daemons`)).status).toBe(200);
    expect((await getJson(`${url}/health`)).status).toBe(200);
  });

  it("is sent by the client", async () => {
    const { url } = await serve([ticker("alpha")], {}, { RINGMASTER_API_TOKEN: TOKEN });
    await expect(createClient(url).pause("alpha")).rejects.toMatchObject({
      name: "ApiError",
      status: 401,
    });
    const status = await createClient(url, { token: TOKEN }).pause("ALPHA");
    expect(status.state).toBe("paused");
  });
});

describe("binding", () => {
  it("refuses a non-loopback host without a token, so start() rejects", async () => {
    const manager = createServed([ticker("alpha")], { http: { host: "0.0.0.0", port: 0 } });
    await expect(manager.start()).rejects.toThrow(
      /^refusing to serve HTTP on 0\.0\.0\.0 without an API token/,
    );
    expect(manager.status("alpha").state).toBe("stopped");
  });

  it("serves a non-loopback host with a token, and gives a loopback URL", async () => {
    const manager = createServed(
      [ticker("alpha")],
      { http: { host: "0.0.0.0", port: 0 } },
      { RINGMASTER_API_TOKEN: TOKEN },
    );
    await manager.start();
    expect(manager.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson(`${manager.url}/ready`)).status).toBe(200);
  });

  it("knows what loopback is", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1", "::ffff:10.0.0.1"])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it("brackets an IPv6 URL", async () => {
    const manager = createServed([ticker("alpha")], { http: { host: "::1", port: 0 } });
    try {
      await manager.start();
    } catch (error) {
      if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test(String((error as Error).message))) return; // no IPv6 here
      throw error;
    }
    expect(manager.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await getJson(`${manager.url}/health`)).status).toBe(200);
  });
});

describe("limits and errors", () => {
  it("rejects bodies over 64 KiB with 413 and bad JSON with 400, never with a stack", async () => {
    const { url } = await serve([ticker("alpha")]);
    const big = await getJson(`${url}/api/daemons/alpha/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blob: "x".repeat(70 * 1024) }),
    });
    expect(big.status).toBe(413);
    const bad = await getJson(`${url}/api/daemons/alpha/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(bad.status).toBe(400);
    for (const answer of [big, bad]) {
      expect(Object.keys(answer.body).sort()).toEqual(["error", "message", "statusCode"]);
      expect(JSON.stringify(answer.body)).not.toMatch(/\n\s+at /);
    }
  });

  it("sends no CORS headers", async () => {
    const { url } = await serve([ticker("alpha")]);
    const response = await fetch(`${url}/api/daemons`, {
      headers: { origin: "https://evil.test" },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the client", () => {
  it("throws ManagerUnreachableError when nothing listens", async () => {
    const { url, manager } = await serve([ticker("alpha")]);
    await manager.shutdown();
    const client = createClient(url, { timeout: 2_000 });
    const error = await client.daemons().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagerUnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(`^no ringmaster manager reachable at ${url}: ECONNREFUSED`),
    );
  });

  it("covers the routes and reports API errors with the server's message", async () => {
    const { url } = await serve([ticker("alpha"), ticker("beta", { dependsOn: ["alpha"] })]);
    const client = createClient(url);
    expect(await client.health()).toEqual({ ok: true, reasons: [] });
    expect((await client.ready()).ok).toBe(true);
    expect((await client.daemons()).map((d) => d.name)).toEqual(["alpha", "beta"]);
    expect((await client.daemon("Beta")).dependsOn).toEqual(["alpha"]);
    expect((await client.checkHealth("alpha")).status).toBe("healthy");
    expect(Array.isArray(await client.logs("alpha", { limit: 5, since: "1m" }))).toBe(true);
    expect((await client.stop("beta")).state).toBe("stopped");
    expect((await client.start("beta")).state).toBe("running");
    expect((await client.restart("beta")).restarts).toBe(1);
    expect(await client.statusText()).toBe("alpha: RUNNING (healthy)\nbeta: RUNNING (healthy)\n");
    expect((await client.graph()).edges).toEqual([
      { from: "beta", to: "alpha", kind: "dependsOn" },
    ]);
    expect(await client.drawGraph("dot")).toMatch(/^digraph/);
    expect(await client.jobs()).toEqual([]);
    expect(await client.events()).toEqual([]);
    expect(await client.deadLetters()).toEqual([]);
    expect((await client.nodes())[0]?.self).toBe(true);
    expect(await client.metrics()).toContain("ringmaster_daemon_state");
    const conflict = await client.resume("alpha").catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ status: 409, message: "cannot resume alpha: it is running" });
    const unknown = await client.daemon("alfa").catch((e: unknown) => e);
    expect(unknown).toMatchObject({
      status: 404,
      message: 'unknown daemon "alfa" (did you mean "alpha"?)',
    });
  });

  it("streams messages, and shutdown over HTTP ends the stream", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    const client = createClient(url);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const m of client.stream({ types: ["state", "manager"] }))
        seen.push(m.type === "state" ? `state:${(m.data as { to: string }).to}` : m.type);
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.restart("alpha");
    expect(await client.shutdown()).toEqual({ shuttingDown: true });
    await reading; // ends when the server closes the stream
    expect(seen).toEqual([
      "state:stopping",
      "state:waiting",
      "state:starting",
      "state:running",
      "manager",
      "state:stopping",
      "state:stopped",
    ]);
    expect((await manager.shutdown()).unstopped).toEqual([]);
  });
});

describe("the live stream's heartbeat", () => {
  it("sends a comment line on the heartbeat interval", async () => {
    const config = defineConfig({ daemons: [ticker("alpha")], store: "memory:", http: false });
    const manager = createManager(config, { logger: false });
    const server = await startHttpServer(inspectManager(manager).httpPort, {
      host: "127.0.0.1",
      port: 0,
      apiToken: undefined,
      stream: { heartbeatInterval: 30 },
    });
    try {
      const response = await fetch(`${server.url}/api/stream`);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes(": heartbeat\n\n"))
        text += new TextDecoder().decode((await reader.read()).value);
      expect(text.startsWith("retry: 2000\n\n")).toBe(true);
    } finally {
      await server.close();
    }
  });
});
