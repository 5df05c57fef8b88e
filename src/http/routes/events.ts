import type { FastifyInstance } from "fastify";
import { HttpError } from "../errors.js";
import { anyObject, idParams, limitProperty } from "../schemas.js";
import type { ServerContext } from "./context.js";

const envelopeSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    type: { type: "string" },
    payload: {},
    source: { type: "string" },
    time: { type: "number" },
    seq: { type: "number" },
  },
  additionalProperties: true,
} as const;

const deadLetterSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    event: envelopeSchema,
    subscriber: { type: "string" },
    reason: { type: "string" },
    error: { type: "string" },
    attempts: { type: "integer" },
    at: { type: "number" },
  },
  additionalProperties: true,
} as const;

/** `/api/events` (recent events) and `/api/dead-letters` (list, retry). */
export function registerEventRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { port } = ctx;
  const bus = port.events;

  app.get<{ Querystring: { limit: number; type?: string; source?: string } }>(
    "/api/events",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            limit: limitProperty(10_000, 100),
            type: { type: "string", maxLength: 200 },
            source: { type: "string", maxLength: 200 },
          },
        },
        response: { 200: { type: "array", items: envelopeSchema } },
      },
    },
    (request) => {
      const { limit, type, source } = request.query;
      if (type === undefined && source === undefined) return bus.recent(limit);
      return bus
        .recent()
        .filter(
          (e) =>
            (type === undefined || e.type === type) &&
            (source === undefined || e.source === source),
        )
        .slice(-limit);
    },
  );

  app.get<{ Querystring: { limit: number; subscriber?: string } }>(
    "/api/dead-letters",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            limit: limitProperty(10_000, 1_000),
            subscriber: { type: "string", maxLength: 200 },
          },
        },
        response: { 200: { type: "array", items: deadLetterSchema } },
      },
    },
    async (request) => {
      const { limit, subscriber } = request.query;
      const all = port.deadLetters ? await port.deadLetters.list() : bus.deadLetters();
      const picked =
        subscriber === undefined ? all : all.filter((d) => d.subscriber === subscriber);
      return picked.slice(-limit);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/dead-letters/:id/retry",
    { schema: { params: idParams, response: { 200: anyObject } } },
    async (request) => {
      const { id } = request.params;
      const retried = port.deadLetters ? await port.deadLetters.retry(id) : bus.retryDeadLetter(id);
      if (!retried) throw new HttpError(404, `no dead letter with id "${id}"`);
      return { id, retried: true };
    },
  );
}
