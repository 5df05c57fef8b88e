import type { FastifyInstance } from "fastify";
import type { History } from "../history.js";

/**
 * `GET /api/history[?daemons=a,b]`: the last hour of the charts' series (see `HistoryView`),
 * every daemon's or only those named. Reads only; an unknown name is simply absent.
 */
export function registerHistoryRoutes(app: FastifyInstance, history: History): void {
  app.get<{ Querystring: { daemons?: string } }>(
    "/api/history",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { daemons: { type: "string", maxLength: 10_000 } },
          additionalProperties: false,
        },
      },
    },
    (request) => {
      const names = request.query.daemons
        ?.split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "");
      return history.view(names && names.length > 0 ? { daemons: names } : {});
    },
  );
}
