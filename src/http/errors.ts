import type { FastifyError, FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { ConfigError, StateConflictError, UnknownDaemonError } from "../registry/errors.js";

/** An error with the HTTP status it should be answered with; its message goes to the client. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body of every error answer. Never a stack trace. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  421: "Misdirected Request",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Maps an error to its status and a message safe to show a client. */
export function describeHttpError(error: unknown): { statusCode: number; message: string } {
  if (error instanceof HttpError) return { statusCode: error.statusCode, message: error.message };
  if (error instanceof UnknownDaemonError) return { statusCode: 404, message: error.message };
  if (error instanceof StateConflictError) return { statusCode: 409, message: error.message };
  if (error instanceof ConfigError) return { statusCode: 400, message: error.message };
  const e = error as Partial<FastifyError> | undefined;
  if (e?.validation) return { statusCode: 400, message: e.message ?? "invalid request" };
  const status = typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500) return { statusCode: status, message: e?.message ?? "" };
  return { statusCode: 500, message: "internal error (the manager's log has the details)" };
}

/**
 * Answers every error as `{ statusCode, error, message }`: 400 for bad input (naming the field),
 * 401 without the right token, 404 for unknown names, 409 for conflicts. Unexpected errors are
 * logged here with their stack and answered 500 without one.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error, request, reply) => {
    const { statusCode, message } = describeHttpError(error);
    if (statusCode >= 500) {
      logger.error({ err: error }, `HTTP ${request.method} ${request.url} failed`);
    }
    const body: ErrorBody = { statusCode, error: REASONS[statusCode] ?? "Error", message };
    reply.status(statusCode).type("application/json; charset=utf-8").send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    const body: ErrorBody = {
      statusCode: 404,
      error: "Not Found",
      message: `no route ${request.method} ${path}`,
    };
    reply.status(404).send(body);
  });
}
