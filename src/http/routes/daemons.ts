import type { FastifyInstance } from "fastify";
import { sinceAt } from "../../registry/duration.js";
import { redactConfig } from "../../registry/secret.js";
import type { DaemonSpec, LogLevel } from "../../registry/types.js";
import { configChanges } from "../config-changes.js";
import { validateConfigPatch } from "../config-patch.js";
import { HttpError } from "../errors.js";
import {
  anyObject,
  daemonDetailSchema,
  daemonStatusSchema,
  healthSchema,
  logEntrySchema,
  logsQuery,
  nameParams,
} from "../schemas.js";
import type { ServerContext } from "./context.js";

type NameParams = { Params: { name: string } };

/** The daemon actions of `POST /api/daemons/:name/<action>`. */
export const DAEMON_ACTIONS = ["start", "stop", "restart", "pause", "resume"] as const;
export type DaemonAction = (typeof DAEMON_ACTIONS)[number];

/** How long the serialized daemon list is reused (uptimes and heartbeats may lag this much). */
const LIST_CACHE_MS = 250;

/**
 * `since` for logs: epoch milliseconds, an ISO date, or a duration ago (`"10m"`, `"2h"`).
 * Throws a 400 saying what was expected.
 */
export function parseSince(text: string, now: number): number {
  const at = sinceAt(text, now);
  if (at !== undefined) return at;
  throw new HttpError(
    400,
    `querystring/since: expected epoch milliseconds, an ISO date or a duration ago such as "10m", found ${JSON.stringify(text)}`,
  );
}

/** `/api/daemons…`: status, details, health, logs, actions, config. */
export function registerDaemonRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { manager, port, transitions, overrides } = ctx;
  registerDaemonList(app, ctx);

  app.get<NameParams>(
    "/api/daemons/:name",
    { schema: { params: nameParams, response: { 200: daemonDetailSchema } } },
    async (request) => {
      const name = port.canonical(request.params.name);
      const status = manager.status(name);
      const resolved = port.daemonConfig(name);
      const spec = resolved?.spec;
      return {
        ...status,
        options: spec ? specOptions(spec) : {},
        // Secret values (by `secret()` or by name) never leave the process (DESIGN.md §9).
        config: {
          ...runningAndNext(port, name),
          sources: resolved?.sources ?? {},
          /** Saved through PATCH; applies at the next start of the daemon's config resolution. */
          pending: redactConfig(await overrides.get(name), spec?.config),
        },
        transitions: transitions.of(name),
      };
    },
  );

  // A GET reads the last check; only the POST runs one, and neither counts toward
  // unhealthyThreshold (DESIGN.md §9: a GET never changes anything).
  const healthRoute = { schema: { params: nameParams, response: { 200: healthSchema } } };
  app.get<NameParams>("/api/daemons/:name/health", healthRoute, (request) => {
    return manager.status(port.canonical(request.params.name)).health;
  });
  app.post<NameParams>("/api/daemons/:name/health", healthRoute, (request) =>
    manager.checkHealth(request.params.name),
  );

  app.get<NameParams & { Querystring: { level?: LogLevel; since?: string; limit: number } }>(
    "/api/daemons/:name/logs",
    {
      schema: {
        params: nameParams,
        querystring: logsQuery,
        response: { 200: { type: "array", items: logEntrySchema } },
      },
    },
    (request) => {
      const name = port.canonical(request.params.name);
      const { level, since, limit } = request.query;
      return port.queryLogs({
        daemon: name,
        limit,
        ...(level ? { level } : {}),
        ...(since !== undefined ? { since: parseSince(since, manager.clock.now()) } : {}),
      });
    },
  );

  for (const action of DAEMON_ACTIONS) {
    app.post<NameParams>(
      `/api/daemons/:name/${action}`,
      { schema: { params: nameParams, response: { 200: daemonStatusSchema } } },
      (request) => {
        switch (action) {
          case "start":
            return manager.startDaemon(request.params.name);
          case "stop":
            return manager.stopDaemon(request.params.name);
          case "restart":
            return manager.restartDaemon(request.params.name);
          case "pause":
            return manager.pauseDaemon(request.params.name);
          case "resume":
            return manager.resumeDaemon(request.params.name);
        }
      },
    );
  }

  registerConfigPatch(app, ctx);
}

/** `GET /api/daemons[?category=&state=]`: every status, the whole list cached briefly. */
function registerDaemonList(app: FastifyInstance, ctx: ServerContext): void {
  const { manager } = ctx;
  let listCache: { at: number; body: string } | undefined;
  const forget = () => {
    listCache = undefined;
  };
  // Anything an operator would notice at once drops the cached list.
  const offs = (["daemon:state", "daemon:health", "daemon:restart"] as const).map((event) =>
    manager.on(event, forget),
  );
  app.addHook("onClose", async () => {
    for (const off of offs) off();
  });

  app.get<{ Querystring: { category?: string; state?: string } }>(
    "/api/daemons",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            category: { type: "string", maxLength: 100 },
            state: { type: "string", maxLength: 20 },
          },
        },
        response: { 200: { type: "array", items: daemonStatusSchema } },
      },
    },
    // Both answers are serialized by one `JSON.stringify`, not by the response schema (which
    // stays, as the documented shape): statuses are plain objects built in the schema's shape
    // (src/supervisor/status.ts), and for a list of ~90 statuses (~70 KB) fast-json-stringify
    // costs more than `JSON.stringify` and returns a string of many pieces that Node then
    // flattens again to measure and write it. Same fields and values either way; only the key
    // order may differ, as it always did between the cached and the filtered answer.
    (request, reply) => {
      const { category, state } = request.query;
      reply.type("application/json; charset=utf-8");
      if (category === undefined && state === undefined) {
        // The whole list, serialized once and reused briefly: probes and dashboards poll it.
        const now = Date.now();
        if (listCache === undefined || now - listCache.at > LIST_CACHE_MS) {
          listCache = { at: now, body: JSON.stringify(manager.status()) };
        }
        return reply.send(listCache.body);
      }
      const all = manager.status();
      const matching = all.filter(
        (s) =>
          (category === undefined || s.category === category) &&
          (state === undefined || s.state === state),
      );
      return reply.send(JSON.stringify(matching));
    },
  );
}

/**
 * What the daemon runs with (`values`), what its next start uses, and the keys that differ;
 * secret values redacted (DESIGN.md §9) after the comparison, so a changed secret still shows as
 * changed.
 */
function runningAndNext(port: ServerContext["port"], name: string) {
  const resolved = port.daemonConfig(name);
  const schema = resolved?.spec.config;
  const next = resolved?.config ?? {};
  const values = port.runningConfig?.(name) ?? next;
  const changes = configChanges(values, next);
  const redacted = redactConfig(
    Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.running])),
    schema,
  );
  const redactedNext = redactConfig(
    Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.next])),
    schema,
  );
  return {
    values: redactConfig(values, schema),
    next: redactConfig(next, schema),
    changes: Object.fromEntries(
      Object.keys(changes).map((k) => [k, { running: redacted[k], next: redactedNext[k] }]),
    ) as typeof changes,
  };
}

/** The detail's `options`: the resolved timings, restart policy and kind of the daemon. */
function specOptions(spec: DaemonSpec) {
  return {
    readiness: spec.readiness,
    readyTimeout: spec.readyTimeout,
    stopTimeout: spec.stopTimeout,
    cycleTimeout: spec.cycleTimeout ?? null,
    maxConsecutiveErrors: spec.maxConsecutiveErrors,
    healthInterval: spec.healthInterval,
    healthTimeout: spec.healthTimeout,
    unhealthyThreshold: spec.unhealthyThreshold,
    heartbeatTimeout: spec.heartbeatTimeout ?? null,
    restart: spec.restart,
    scope: spec.scope,
    hasHealthHook: spec.health !== undefined,
    // A command daemon's spec has no hooks of its own: its program is its run.
    kind: spec.command ? "command" : spec.run ? "run" : spec.cycle ? "cycle" : "subscriber",
  };
}

/** `PATCH /api/daemons/:name/config`: saves overrides, says whether they apply now or next start. */
function registerConfigPatch(app: FastifyInstance, ctx: ServerContext): void {
  const { port, overrides } = ctx;
  app.patch<NameParams & { Body: Record<string, unknown> }>(
    "/api/daemons/:name/config",
    {
      schema: {
        params: nameParams,
        body: { type: "object", additionalProperties: true, maxProperties: 200 },
        response: {
          200: {
            type: "object",
            properties: {
              name: { type: "string" },
              applied: { type: "boolean" },
              appliesAt: { type: "string" },
              pending: anyObject,
              current: anyObject,
              next: anyObject,
              changes: anyObject,
            },
          },
        },
      },
    },
    async (request) => {
      const name = port.canonical(request.params.name);
      const resolved = port.daemonConfig(name);
      if (!resolved) throw new HttpError(404, `no resolved config for ${name}`);
      const patch = validateConfigPatch(resolved, request.body);
      const pending = await overrides.save(name, patch);
      const { values, next, changes } = runningAndNext(port, name);
      const applied = Object.keys(changes).length === 0;
      return {
        name,
        applied,
        appliesAt: applied
          ? "now: the daemon runs with these values"
          : "the next start of the daemon",
        pending: redactConfig(pending, resolved.spec.config),
        current: values,
        next,
        changes,
      };
    },
  );
}
