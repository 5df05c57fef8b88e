import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DASHBOARD_DIRS, registerDashboardRoutes } from "../../src/http/dashboard.js";

/** A built dashboard as Vite lays it out: index.html and hashed assets. */
function fakeBuild(dir: string): void {
  mkdirSync(join(dir, "assets"), { recursive: true });
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><script type="module" src="./assets/index-AbC123.js"></script>',
  );
  writeFileSync(
    join(dir, "assets", "index-AbC123.js"),
    `console.log(${JSON.stringify("x".repeat(4000))});`,
  );
  writeFileSync(join(dir, "assets", "index-AbC123.css"), "body{margin:0}");
}

describe("registerDashboardRoutes (serving the built dashboard)", () => {
  let root: string;
  let app: FastifyInstance;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "ringmaster-dashboard-serve-"));
    app = Fastify();
  });
  afterEach(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("looks next to the compiled server first (dist/http → dist/dashboard), then the repo's dist", () => {
    expect(DASHBOARD_DIRS.map((d) => d.replace(/\\/g, "/"))).toEqual([
      expect.stringMatching(/\/src\/dashboard\/$/),
      expect.stringMatching(/\/dist\/dashboard\/$/),
    ]);
  });

  it("answers / with index.html, not cached; hashed assets immutable with their content types", async () => {
    const built = join(root, "dashboard");
    fakeBuild(built);
    registerDashboardRoutes(app, { dirs: [join(root, "nowhere"), built] });

    const index = await app.inject({ url: "/" });
    expect(index.statusCode).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(index.body).toContain("./assets/index-AbC123.js");

    const js = await app.inject({ url: "/assets/index-AbC123.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body).toContain("console.log");

    const css = await app.inject({ url: "/assets/index-AbC123.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");

    const gz = await app.inject({
      url: "/assets/index-AbC123.js",
      headers: { "accept-encoding": "gzip, deflate" },
    });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers.vary).toBe("accept-encoding");
    expect(gunzipSync(gz.rawPayload).toString()).toBe(js.body);

    const head = await app.inject({ method: "HEAD", url: "/" });
    expect(head.statusCode).toBe(200);
  });

  it("answers 404 for unknown assets and refuses paths outside assets/", async () => {
    const built = join(root, "dashboard");
    fakeBuild(built);
    writeFileSync(join(root, "secret.txt"), "not for you");
    registerDashboardRoutes(app, { dirs: [built] });
    expect((await app.inject({ url: "/assets/nope-123.js" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/assets/..%2F..%2Fsecret.txt" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/assets/../index.html" })).statusCode).not.toBe(500);
  });

  it("says how to build it when the assets are missing, and serves it once built, without a restart", async () => {
    const later = join(root, "dashboard");
    registerDashboardRoutes(app, { dirs: [later] });
    const missing = await app.inject({ url: "/" });
    expect(missing.statusCode).toBe(503);
    expect(missing.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(missing.body).toContain("npm run build:dashboard");

    fakeBuild(later);
    const built = await app.inject({ url: "/" });
    expect(built.statusCode).toBe(200);
    expect(built.body).toContain("./assets/index-AbC123.js");
  });
});
