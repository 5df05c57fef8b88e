import type { FastifyInstance } from "fastify";
import { HttpError } from "../errors.js";
import type { StreamEventType } from "../stream.js";
import type { ServerContext } from "./context.js";

export const STREAM_TYPES: readonly StreamEventType[] = [
  "state",
  "health",
  "log",
  "restart",
  "failed",
  "event",
  "dead-letter",
  "job",
  "manager",
];

/**
 * `GET /api/stream`: server-sent events. `?types=state,log` picks entry types, `?daemon=name` keeps
 * only entries about that daemon (entries about no daemon pass). Resume with the `Last-Event-ID`
 * header (or `?lastEventId=` for clients that cannot set headers).
 */
export function registerStreamRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { types?: string; daemon?: string; lastEventId?: number } }>(
    "/api/stream",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            types: { type: "string", maxLength: 200 },
            daemon: { type: "string", maxLength: 200 },
            lastEventId: { type: "integer", minimum: 0 },
          },
        },
      },
    },
    (request, reply) => {
      const { types, daemon } = request.query;
      let typeSet: Set<string> | undefined;
      if (types !== undefined) {
        typeSet = new Set(
          types
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
        );
        const unknown = [...typeSet].filter((t) => !STREAM_TYPES.includes(t as StreamEventType));
        if (unknown.length > 0)
          throw new HttpError(
            400,
            `querystring/types: unknown type ${unknown.join(", ")}; types: ${STREAM_TYPES.join(", ")}`,
          );
      }
      const filterDaemon = daemon === undefined ? undefined : ctx.port.canonical(daemon);
      const header = request.headers["last-event-id"];
      let lastEventId = request.query.lastEventId;
      if (typeof header === "string" && header.trim() !== "") {
        if (!/^\d+$/.test(header.trim()))
          throw new HttpError(400, "header Last-Event-ID: expected a whole number");
        lastEventId = Number(header.trim());
      }
      reply.hijack();
      ctx.hub.attach(
        request.raw,
        reply.raw,
        {
          ...(typeSet ? { types: typeSet } : {}),
          ...(filterDaemon !== undefined ? { daemon: filterDaemon } : {}),
        },
        lastEventId,
      );
    },
  );
}
