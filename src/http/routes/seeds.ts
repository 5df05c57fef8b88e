import type { FastifyInstance } from "fastify";
import { formatStatusLine } from "../format.js";
import { nameParams } from "../schemas.js";
import type { ServerContext } from "./context.js";

/**
 * The seeds' paths (seed 002): `GET /daemon/status` — every daemon in one line each, as JSON or,
 * with `?format=text`, as `auto_sync: RUNNING (healthy)` lines — and `GET /daemon/:name/health`,
 * which answers the last check and 503 when the daemon is unhealthy, so `curl -f` works as a probe.
 */
export function registerSeedRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { manager } = ctx;

  app.get<{ Querystring: { format: "json" | "text" } }>(
    "/daemon/status",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { format: { type: "string", enum: ["json", "text"], default: "json" } },
        },
      },
    },
    (request, reply) => {
      const statuses = manager.status();
      const now = manager.clock.now();
      if (request.query.format === "text") {
        const lines = statuses.map((s) => formatStatusLine(s, now));
        return reply.type("text/plain; charset=utf-8").send(`${lines.join("\n")}\n`);
      }
      const live = manager.liveness();
      const ready = manager.readiness();
      return reply.send({
        live: live.ok,
        ready: ready.ok,
        reasons: [...new Set([...live.reasons, ...ready.reasons])],
        daemons: statuses.map((s) => ({
          name: s.name,
          state: s.state.toUpperCase(),
          health: s.health.status,
          message: s.health.message,
          restarts: s.restarts,
          lastError: s.lastError,
          line: formatStatusLine(s, now),
        })),
      });
    },
  );

  app.get<{ Params: { name: string } }>(
    "/daemon/:name/health",
    { schema: { params: nameParams } },
    (request, reply) => {
      // The last check: a GET never runs one (DESIGN.md §9).
      const name = ctx.port.canonical(request.params.name);
      const report = manager.status(name).health;
      return reply
        .code(report.status === "unhealthy" ? 503 : 200)
        .send({ name, healthy: report.status !== "unhealthy", ...report });
    },
  );
}
