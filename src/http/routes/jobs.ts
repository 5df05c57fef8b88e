import type { FastifyInstance } from "fastify";
import { HttpError } from "../errors.js";
import { anyObject, idParams, limitProperty } from "../schemas.js";
import type { JobFilter } from "../seams.js";
import type { ServerContext } from "./context.js";

/**
 * `/api/jobs`: list, one job with its recorded actions, cancel. Without a job service (not built
 * yet, or none configured) the list is empty and single jobs are 404 "no job service".
 */
export function registerJobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { jobs } = ctx;
  const noService = (id: string) =>
    new HttpError(404, `job "${id}" not found: this manager has no job service`);

  app.get<{ Querystring: JobFilter & { limit: number } }>(
    "/api/jobs",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            status: {
              type: "string",
              enum: ["pending", "running", "completed", "failed", "cancelled"],
            },
            type: { type: "string", maxLength: 200 },
            daemon: { type: "string", maxLength: 200 },
            limit: limitProperty(10_000, 100),
          },
        },
        response: { 200: { type: "array", items: anyObject } },
      },
    },
    async (request) => (jobs ? jobs.list(request.query) : []),
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id",
    { schema: { params: idParams, response: { 200: anyObject } } },
    async (request) => {
      const { id } = request.params;
      if (!jobs) throw noService(id);
      const job = await jobs.get(id);
      if (!job) throw new HttpError(404, `no job with id "${id}"`);
      return job;
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
    "/api/jobs/:id/cancel",
    { schema: { params: idParams, response: { 200: anyObject } } },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      const reason = body && typeof body === "object" ? body.reason : undefined;
      if (reason !== undefined && (typeof reason !== "string" || reason.length > 1_000))
        throw new HttpError(400, "body/reason: expected a string of at most 1000 characters");
      if (!jobs) throw noService(id);
      const job = await jobs.cancel(id, reason ?? "cancelled through the API");
      if (!job) throw new HttpError(404, `no job with id "${id}"`);
      return job;
    },
  );
}
