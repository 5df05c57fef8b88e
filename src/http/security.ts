import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "./errors.js";

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/**
 * Refuses to serve the API where others can reach it without a token: mutations would be open to
 * anyone on the network. Throws an Error that says how to fix it.
 */
export function assertSafeBinding(host: string, apiToken: string | undefined): void {
  if (apiToken !== undefined && apiToken !== "") return;
  if (isLoopbackHost(host)) return;
  throw new Error(
    `refusing to serve HTTP on ${host} without an API token: anyone who can reach it could stop ` +
      "your daemons. Set the API token (env <PREFIX>_API_TOKEN) or bind to 127.0.0.1",
  );
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * A preHandler that requires `Authorization: Bearer <token>`. Both sides are hashed first, so the
 * comparison is constant-time over equal-length buffers and leaks neither the token nor its length.
 */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return async function requireToken(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    if (!match) {
      reply.header("www-authenticate", 'Bearer realm="ringmaster"');
      throw new HttpError(401, "missing API token: send Authorization: Bearer <token>");
    }
    if (!timingSafeEqual(digest(match[1] as string), expected)) {
      reply.header("www-authenticate", 'Bearer realm="ringmaster", error="invalid_token"');
      throw new HttpError(401, "wrong API token");
    }
  };
}

/** The hostname of a `Host` header (`[::1]:8790` → `::1`, `localhost:80` → `localhost`). */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") === -1 ? undefined : h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

export interface RequestGuardOptions {
  /** The address the server is bound to. */
  host: string;
  /** Whether an API token is configured (then mutations are authenticated by it). */
  tokenRequired: boolean;
  /** More names the server may be reached by (a reverse proxy's host name). */
  allowedHosts?: readonly string[];
}

const MUTATING_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * An `onRequest` hook that keeps web pages from driving or reading a local manager
 * (DESIGN.md §9):
 * - every request whose `Host` is not the bound address, a loopback name, an IP literal or an
 *   allowed host is refused with 421 — a DNS-rebinding page sends its own domain name;
 * - a mutation whose `Origin` is present and not this server's own is refused with 403 (CSRF);
 * - without an API token, a mutation must say `Content-Type: application/json` (with `{}` when
 *   there is nothing to send), which a page cannot send cross-site without a preflight this
 *   server never approves; with a token, the bearer check does the same.
 */
export function requestGuard(options: RequestGuardOptions) {
  const allowed = new Set(
    [options.host, ...(options.allowedHosts ?? [])].map((h) =>
      isIP(h) === 6 ? h.toLowerCase() : hostnameOf(h),
    ),
  );
  const hostAllowed = (name: string) =>
    allowed.has(name) || isLoopbackHost(name) || isIP(name) !== 0;
  return async function guard(request: FastifyRequest, _reply: FastifyReply) {
    const hostHeader = request.headers.host;
    if (typeof hostHeader === "string" && !hostAllowed(hostnameOf(hostHeader))) {
      throw new HttpError(
        421,
        `refused: Host ${JSON.stringify(hostHeader)} is not this server's address (use 127.0.0.1 or localhost, or add it to http.allowedHosts)`,
      );
    }
    if (!MUTATING_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, hostHeader)) {
      throw new HttpError(
        403,
        `refused: a request from ${JSON.stringify(origin)} may not change this manager (cross-origin)`,
      );
    }
    if (options.tokenRequired) return;
    const type = request.headers["content-type"];
    if (typeof type !== "string" || !/^application\/json\s*(;|$)/i.test(type)) {
      throw new HttpError(
        415,
        "changes need Content-Type: application/json (send {} when there is nothing to say)",
      );
    }
  };
}

/** Whether `origin` names the host the request was sent to (scheme aside: HTTP only here). */
function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null", or garbage
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  const expected = hostHeader.trim().toLowerCase();
  const defaultPort = parsed.protocol === "http:" ? "80" : "443";
  const withPort = parsed.port === "" ? `${parsed.hostname}:${defaultPort}` : parsed.host;
  return parsed.host === expected || withPort === expected;
}

/** Deepest nesting accepted in a JSON body (arrays and objects); deeper is a 400. */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a JSON text, counted without parsing (strings skipped), stopping as soon
 * as it passes `limit`: a body nested 30,000 levels deep is refused before anything recurses.
 */
export function jsonDepthExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}
