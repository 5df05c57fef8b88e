import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "./errors.js";

/**
 * Where the built dashboard (Vite's output, `npm run build:dashboard`) is looked for, first found
 * wins: next to the compiled server in an installed package (`dist/http/` → `dist/dashboard/`),
 * then the repository's build output when the server runs from source under tsx
 * (`src/http/` → `dist/dashboard/`).
 */
export const DASHBOARD_DIRS: readonly string[] = [
  fileURLToPath(new URL("../dashboard/", import.meta.url)),
  fileURLToPath(new URL("../../dist/dashboard/", import.meta.url)),
];

/** The first of `dirs` that holds a built dashboard, or undefined. */
export function findDashboard(dirs: readonly string[] = DASHBOARD_DIRS): string | undefined {
  return dirs.find((dir) => existsSync(join(dir, "index.html")));
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set([".js", ".css", ".html", ".json", ".map", ".svg", ".txt"]);

/** Asset names as Vite writes them (`index-DZVLxuKV.js`): no paths, no dot-dot. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Everything is same-origin: the bundle's script and styles, `fetch` and the event stream.
 * Inline `style` attributes (progress bar widths) need 'unsafe-inline' for styles only.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ringmaster: dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#8882;padding:.1em .3em;border-radius:3px}</style>
</head><body>
<h1>The dashboard is not built</h1>
<p>This manager is running and its API answers, but the dashboard's files were not found.
Build them in the ringmaster checkout with:</p>
<pre><code>npm run build:dashboard</code></pre>
<p>then reload this page (no restart needed). <code>npm start</code> and <code>npm run build</code> do this for you.</p>
<p>Meanwhile: <a href="/api/daemons">/api/daemons</a>, <a href="/daemon/status?format=text">/daemon/status</a>,
<a href="/health">/health</a>, <a href="/ready">/ready</a>, <a href="/metrics">/metrics</a>.</p>
</body></html>
`;

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
}

/** Files under `assets/` are content-hashed by Vite and never change: kept once read. */
const ASSETS_CACHED = 64;

export interface DashboardOptions {
  /** Look here instead of {@link DASHBOARD_DIRS} (tests). */
  dirs?: readonly string[];
}

/**
 * Serves the dashboard (DESIGN.md §9) at `/`: `index.html` with `no-cache` (so a new build shows
 * at the next load) and `/assets/*` as immutable, gzipped when the client accepts it. The build
 * is looked up on each load of `/` until found, so building while the manager runs works; until
 * then `/` answers 503 with a page saying to run `npm run build:dashboard`.
 */
export function registerDashboardRoutes(
  app: FastifyInstance,
  options: DashboardOptions = {},
): void {
  const dirs = options.dirs ?? DASHBOARD_DIRS;
  let dir: string | undefined;
  const assets = new Map<string, Asset>();

  const load = async (path: string): Promise<Asset> => {
    const body = await readFile(path);
    const ext = extname(path);
    return {
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : undefined,
      type: TYPES[ext] ?? "application/octet-stream",
    };
  };

  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    reply.header("content-type", asset.type).header("x-content-type-options", "nosniff");
    if (asset.gzip) {
      reply.header("vary", "accept-encoding");
      const accepts = String(request.headers["accept-encoding"] ?? "");
      if (/\bgzip\b/.test(accepts))
        return reply.header("content-encoding", "gzip").send(asset.gzip);
    }
    return reply.send(asset.body);
  };

  const index = async (request: FastifyRequest, reply: FastifyReply) => {
    dir = findDashboard(dirs);
    reply
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("referrer-policy", "no-referrer");
    if (!dir) {
      return reply
        .code(503)
        .header("content-type", "text/html; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .send(MISSING_PAGE);
    }
    return send(request, reply, await load(join(dir, "index.html")));
  };
  app.get("/", index);
  app.get("/index.html", index);

  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const { file } = request.params;
    dir ??= findDashboard(dirs);
    if (!dir || !ASSET_NAME.test(file)) throw new HttpError(404, `no dashboard asset ${file}`);
    const path = join(dir, "assets", file);
    let asset = assets.get(path);
    if (!asset) {
      if (!existsSync(path)) throw new HttpError(404, `no dashboard asset ${file}`);
      asset = await load(path);
      if (assets.size >= ASSETS_CACHED) assets.clear();
      assets.set(path, asset);
    }
    reply.header("cache-control", "public, max-age=31536000, immutable");
    return send(request, reply, asset);
  });
}
