import { request as httpRequest } from "node:http";
import { defineDaemon, REDACTED, secret } from "ringmaster";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createClient } from "../../src/http/client.js";
import { jsonDepthExceeds } from "../../src/http/security.js";
import { redactUrl } from "../../src/store/url.js";
import { getJson, serve, ticker, until } from "./helpers.js";

/** A raw HTTP request, so tests can send what a browser or an attacker would (any Host). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: { message?: string } & Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method, path, headers: { ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe("a web page cannot drive or read a local manager", () => {
  it("refuses a mutation from another Origin (403) and accepts the server's own", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    const json = { "content-type": "application/json" };
    const evil = await raw(
      url,
      "POST",
      "/api/shutdown",
      { ...json, origin: "https://evil.example" },
      "{}",
    );
    expect(evil.status).toBe(403);
    expect(evil.body.message).toMatch(/evil\.example.*may not change this manager/);
    const opaque = await raw(
      url,
      "POST",
      "/api/daemons/alpha/stop",
      { ...json, origin: "null" },
      "{}",
    );
    expect(opaque.status).toBe(403);
    expect(manager.status("alpha").state).toBe("running");
    expect(manager.readiness().ok).toBe(true);

    const own = await raw(url, "POST", "/api/daemons/alpha/pause", { ...json, origin: url }, "{}");
    expect(own.status).toBe(200);
    expect(manager.status("alpha").state).toBe("paused");
  });

  it("refuses text/plain and bodyless changes (415), which a page can send without a preflight", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    // fetch(url, { method: "POST", mode: "no-cors" }) from a page that sends no Origin.
    const bodyless = await raw(url, "POST", "/api/shutdown");
    expect(bodyless.status).toBe(415);
    expect(bodyless.body.message).toMatch(/Content-Type: application\/json/);
    const plain = await raw(
      url,
      "POST",
      "/api/daemons/alpha/stop",
      { "content-type": "text/plain" },
      "x",
    );
    expect(plain.status).toBe(415);
    const form = await raw(
      url,
      "POST",
      "/api/daemons/alpha/stop",
      { "content-type": "application/x-www-form-urlencoded" },
      "a=1",
    );
    expect(form.status).toBe(415);
    expect(manager.status("alpha").state).toBe("running");
    expect(manager.readiness().ok).toBe(true);
    // An empty JSON body is no body: the CLI and dashboard send {} or nothing with the type.
    const empty = await raw(url, "POST", "/api/daemons/alpha/pause", {
      "content-type": "application/json",
    });
    expect(empty.status).toBe(200);
  });

  it("refuses any request whose Host is not this server (421), against DNS rebinding", async () => {
    const { url } = await serve([ticker("alpha")]);
    const port = new URL(url).port;
    const read = await raw(url, "GET", "/api/daemons", { host: `attacker.example:${port}` });
    expect(read.status).toBe(421);
    expect(read.body.message).toMatch(/attacker\.example.*not this server's address/);
    const page = await raw(url, "GET", "/", { host: "attacker.example" });
    expect(page.status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await raw(url, "GET", "/health", { host })).status).toBe(200);
    }
  });

  it("accepts allowed host names (a reverse proxy's)", async () => {
    const { url } = await serve([ticker("alpha")], {
      http: { host: "127.0.0.1", port: 0, allowedHosts: ["ringmaster.internal"] },
    });
    expect((await raw(url, "GET", "/health", { host: "ringmaster.internal" })).status).toBe(200);
    expect((await raw(url, "GET", "/health", { host: "other.internal" })).status).toBe(421);
  });

  it("keeps the CLI's client working", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    const client = createClient(url);
    expect((await client.pause("alpha")).state).toBe("paused");
    expect((await client.resume("alpha")).state).toBe("running");
    expect((await client.checkHealth("alpha")).status).toBe("healthy");
    expect(manager.status("alpha").state).toBe("running");
  });

  it("answers a body nested 30,000 levels deep with 400, not 500", async () => {
    const { url } = await serve([ticker("alpha")]);
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    const answer = await raw(
      url,
      "PATCH",
      "/api/daemons/alpha/config",
      { "content-type": "application/json" },
      `{"x":${deep}}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/nested deeper than 64 levels/);
    expect(jsonDepthExceeds('{"a":"[[[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[1]]}', 2)).toBe(true);
  });
});

describe("a GET never changes anything", () => {
  it("health reads return the last check; neither reads nor asked-for checks count toward unhealthyThreshold", async () => {
    let calls = 0;
    const sick = defineDaemon({
      name: "sick",
      interval: 50,
      cycle() {},
      healthInterval: 60_000, // no scheduled check during the test (only the first, at start)
      unhealthyThreshold: 3,
      health: () => {
        calls++;
        return calls === 1 ? { healthy: true, message: "ok" } : { healthy: false, message: "bad" };
      },
    });
    const { manager, url } = await serve([sick]);
    await until(() => calls === 1);
    for (let i = 0; i < 5; i++) {
      const read = await getJson(`${url}/api/daemons/sick/health`);
      expect(read.body).toMatchObject({ status: "healthy", message: "ok" });
      expect((await getJson(`${url}/daemon/sick/health`)).status).toBe(200);
    }
    expect(calls).toBe(1); // no GET ran the hook
    for (let i = 0; i < 5; i++) {
      const check = await getJson(`${url}/api/daemons/sick/health`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(check.body).toMatchObject({ status: "unhealthy", message: "bad" });
    }
    expect(calls).toBe(6);
    expect(manager.status("sick")).toMatchObject({ state: "running", restarts: 0 });
    expect((await getJson(`${url}/daemon/sick/health`)).status).toBe(503);
  });
});

describe("secrets never leave the process", () => {
  const holder = () =>
    defineDaemon({
      name: "holder",
      interval: 50,
      config: z.object({
        apiKey: z.string().default("key-abc123"),
        dsn: secret(z.string()).default("postgres://u:pw-xyz@db/app"),
        nested: z.object({ password: z.string() }).default({ password: "pw-nested" }),
        batchSize: z.number().default(10),
      }),
      cycle(ctx) {
        if (ctx.stats.cycles === 1)
          ctx.log.info("connecting", { password: "hunter2", user: "bob", conn: { token: "t-1" } });
        expect(ctx.config.dsn).toBe("postgres://u:pw-xyz@db/app"); // the daemon gets the value
      },
    });

  it("shows secret config as [redacted] in the API, logs and metrics, by schema and by name", async () => {
    const { url } = await serve([holder()]);
    const detail = await getJson(`${url}/api/daemons/holder`);
    expect(detail.body.config.values).toEqual({
      apiKey: REDACTED,
      dsn: REDACTED,
      nested: { password: REDACTED },
      batchSize: 10,
    });
    const logs = await until(async () => {
      const answer = await getJson(`${url}/api/daemons/holder/logs`);
      return answer.body.find((l: { message: string }) => l.message === "connecting");
    });
    expect(logs.fields).toEqual({ password: REDACTED, user: "bob", conn: { token: REDACTED } });
    const patched = await getJson(`${url}/api/daemons/holder/config`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiKey: "key-new-456", batchSize: 20 }),
    });
    expect(patched.body.pending).toEqual({ apiKey: REDACTED, batchSize: 20 });
    expect(patched.body.current.apiKey).toBe(REDACTED);
    const everything = [
      JSON.stringify(detail.body),
      JSON.stringify(patched.body),
      JSON.stringify((await getJson(`${url}/api/daemons/holder`)).body),
      JSON.stringify((await getJson(`${url}/api/daemons`)).body),
      await (await fetch(`${url}/metrics`)).text(),
    ].join("\n");
    for (const value of ["key-abc123", "pw-xyz", "pw-nested", "hunter2", "t-1", "key-new-456"])
      expect(everything).not.toContain(value);
  });

  it("redacts store URLs with a URL parser, whatever the password holds", () => {
    expect(redactUrl("postgres://bob:p@ss:w@rd@db.example:5432/app")).toBe(
      "postgres://bob:***@db.example:5432/app",
    );
    expect(redactUrl("postgres://bob@db/app?sslmode=require&password=hunter2")).toBe(
      "postgres://bob@db/app?sslmode=require&password=***",
    );
    expect(redactUrl("postgres://bob@db/app")).toBe("postgres://bob@db/app");
    expect(redactUrl("sqlite:.ringmaster/state.db")).toBe("sqlite:.ringmaster/state.db");
    // Unreadable by the parser: the user stays, everything up to the last "@" goes.
    expect(redactUrl("postgres://a:b@c@[broken")).toBe("postgres://a:***@[broken");
  });
});
