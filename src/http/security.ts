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
