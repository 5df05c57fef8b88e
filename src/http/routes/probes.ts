import type { FastifyInstance } from "fastify";
import { probeSchema } from "../schemas.js";
import type { ServerContext } from "./context.js";

/**
 * `GET /health` (liveness) and `GET /ready` (readiness): 200 when ok, else 503, both with
 * `{ ok, reasons }`; `GET /metrics`: Prometheus text.
 */
export function registerProbeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { manager, metrics } = ctx;
  const schema = { response: { 200: probeSchema, 503: probeSchema } };
  app.get("/health", { schema }, (_request, reply) => {
    const report = manager.liveness();
    return reply.code(report.ok ? 200 : 503).send(report);
  });
  app.get("/ready", { schema }, (_request, reply) => {
    const report = manager.readiness();
    return reply.code(report.ok ? 200 : 503).send(report);
  });
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
