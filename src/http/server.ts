import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { coerceError } from "../internal/errors.js";
import { registerDashboardRoutes } from "./dashboard.js";
import { HttpError, installErrorHandling } from "./errors.js";
import type { HISTORY_DEFAULTS } from "./history.js";
import { startHistoryFeed } from "./history-feed.js";
import { createMetrics } from "./metrics.js";
import type { HttpPort, ManagerView } from "./port.js";
import type { ServerContext } from "./routes/context.js";
import { registerDaemonRoutes } from "./routes/daemons.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerGraphRoutes } from "./routes/graph.js";
import { registerHistoryRoutes } from "./routes/history.js";
import { registerJobRoutes } from "./routes/jobs.js";
import { registerProbeRoutes } from "./routes/probes.js";
import { registerSeedRoutes } from "./routes/seeds.js";
import { registerStreamRoute } from "./routes/stream.js";
import {
  type ConfigOverrides,
  configOverridesFor,
  type JobsApi,
  type StoreStatsSource,
} from "./seams.js";
import {
  assertSafeBinding,
  bearerAuth,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  requestGuard,
} from "./security.js";
import { STREAM_DEFAULTS, StreamHub } from "./stream.js";
import { TransitionLog } from "./transitions.js";

/** HTTP limits, in one place. Sizes in bytes, durations in ms. */
export const HTTP_DEFAULTS = {
  /** Largest request body accepted (413 beyond). */
  bodyLimit: 64 * 1024,
  /**
   * How long `close()` waits for in-flight requests before cutting every connection (also ones a
   * client opened and never used, which Node does not count as idle).
   */
  closeTimeout: 1_000,
  /** Transitions kept per daemon for `GET /api/daemons/:name`. */
  transitionsPerDaemon: 20,
};

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, POST/PATCH routes need `Authorization: Bearer <token>`. Required off loopback. */
  apiToken: string | undefined;
  /** More host names the server may be reached by (see `HttpOptions.allowedHosts`). */
  allowedHosts?: readonly string[];
  /** Where PATCHed config is saved (default: memory, until the store is wired in). */
  configOverrides?: ConfigOverrides;
  /** The job service, once there is one. */
  jobs?: JobsApi;
  /** The store's write-buffer stats for `/metrics`, once there is a store. */
  storeStats?: StoreStatsSource;
  /** Live-stream tuning (tests shorten the heartbeat). */
  stream?: Partial<typeof STREAM_DEFAULTS>;
  /** The charts' history: sampling interval and span (tests sample faster). */
  history?: Partial<typeof HISTORY_DEFAULTS>;
}

export interface HttpServer {
  /** `http://127.0.0.1:<port>` (IPv6 hosts bracketed). */
  url: string;
  /** Ends every live stream, then stops accepting and closes the server. */
  close(): Promise<void>;
}

const MUTATING = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * Starts the manager's HTTP server (DESIGN.md §9): probes, metrics, the JSON API, the live stream
 * and the seeds' paths. Refuses (throws) a non-loopback host without an API token. The server
 * keeps answering through the manager's shutdown (so `/ready` says 503) until `close()`.
 */
export async function startHttpServer(
  port: HttpPort,
  options: HttpServerOptions,
): Promise<HttpServer> {
  assertSafeBinding(options.host, options.apiToken);
  const { manager, logger } = port;
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: HTTP_DEFAULTS.bodyLimit,
    forceCloseConnections: "idle",
    ajv: { customOptions: { allErrors: false } },
  });
  installErrorHandling(app, logger);
  installBodyParsing(app);
  app.addHook(
    "onRequest",
    requestGuard({
      host: options.host,
      tokenRequired: Boolean(options.apiToken),
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    }),
  );

  if (options.apiToken) {
    const requireToken = bearerAuth(options.apiToken);
    // Added per route at registration, so reads pay nothing for it.
    app.addHook("onRoute", (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.some((m) => MUTATING.has(m))) return;
      const existing = route.onRequest;
      route.onRequest = [
        requireToken,
        ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]),
      ];
    });
  }

  const hub = new StreamHub({ ...STREAM_DEFAULTS, ...options.stream });
  const transitions = new TransitionLog(HTTP_DEFAULTS.transitionsPerDaemon);
  const stopStream = wireStream(port, hub, transitions, options.jobs);
  const feed = startHistoryFeed(port, options.jobs, options.history);
  const unsubscribe = () => {
    stopStream();
    feed.stop();
  };

  const ctx: ServerContext = {
    port,
    manager,
    hub,
    transitions,
    overrides: options.configOverrides ?? configOverridesFor(port),
    jobs: options.jobs,
    metrics: createMetrics({
      manager,
      bus: port.events,
      jobs: options.jobs,
      store: options.storeStats ?? storeStatsOf(port),
      containment: () => port.containment?.(),
      leases: port.leases?.bind(port),
    }),
  };
  registerProbeRoutes(app, ctx);
  registerDaemonRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerGraphRoutes(app, ctx);
  registerHistoryRoutes(app, feed.history);
  registerStreamRoute(app, ctx);
  registerSeedRoutes(app, ctx);
  registerDashboardRoutes(app);
  app.post("/api/shutdown", (_request, reply) => {
    if (port.shuttingDown) throw new HttpError(409, "the manager is already shutting down");
    manager.shutdown().catch((error) => {
      logger.error({ err: coerceError(error) }, "shutdown requested over HTTP failed");
    });
    return reply.code(202).send({ shuttingDown: true });
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    unsubscribe();
    hub.close();
    await app.close().catch(() => {});
    const e = coerceError(error);
    throw new Error(`cannot serve HTTP on ${options.host}:${options.port}: ${e.message}`, {
      cause: e,
    });
  }
  const url = urlOf(app.server.address() as AddressInfo);

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        unsubscribe();
        hub.close();
        // Let the ended streams finish, so their connections count as idle and close at once.
        await new Promise((resolve) => setImmediate(resolve));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            app.server.closeAllConnections();
            resolve();
          }, HTTP_DEFAULTS.closeTimeout);
          timer.unref();
        });
        await Promise.race([app.close(), timedOut]);
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/**
 * Bodies are JSON only (text/plain is refused with 415, so a page cannot post one cross-site
 * without a preflight); an empty JSON body is no body; nesting deeper than MAX_JSON_DEPTH is a 400
 * before anything recurses into it. Prototype poisoning is refused as by Fastify's own parser.
 */
function installBodyParsing(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === "") return done(null, undefined);
    if (jsonDepthExceeds(text))
      return done(new HttpError(400, `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`));
    parseJson(request, text, done);
  });
}

/** The store's health as `/metrics` reads it, when the manager has a store. */
function storeStatsOf(port: HttpPort): StoreStatsSource | undefined {
  const health = port.storeHealth?.bind(port);
  if (!health) return undefined;
  return () => {
    const h = health();
    return {
      buffered: h?.buffered ?? 0,
      dropped: h?.dropped ?? 0,
      degraded: h?.degraded ?? false,
    };
  };
}

/** The URL clients use: wildcard binds are reached on loopback; IPv6 is bracketed. */
export function urlOf(address: AddressInfo): string {
  let host = address.address;
  if (host === "0.0.0.0") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

/** Feeds the live stream and the transition log from the manager and the bus. */
function wireStream(
  port: HttpPort,
  hub: StreamHub,
  transitions: TransitionLog,
  jobs: JobsApi | undefined,
): () => void {
  const manager: ManagerView = port.manager;
  const offs = [
    manager.on("daemon:state", (change) => {
      transitions.record(change);
      hub.push("state", change.name, change);
    }),
    manager.on("daemon:health", (change) => hub.push("health", change.name, change)),
    manager.on("daemon:log", (line) => hub.push("log", line.name, line)),
    manager.on("daemon:restart", (restart) => hub.push("restart", restart.name, restart)),
    manager.on("daemon:failed", (failure) => hub.push("failed", failure.name, failure)),
    manager.on("manager:ready", (report) =>
      hub.push("manager", undefined, { phase: "ready", ...report }),
    ),
    manager.on("manager:shutdown", ({ at }) =>
      hub.push("manager", undefined, { phase: "shutdown", at }),
    ),
    port.events.on("published", (event) => hub.push("event", event.source, event)),
    port.events.on("dead-letter", (letter) => hub.push("dead-letter", letter.subscriber, letter)),
  ];
  if (jobs?.on) offs.push(jobs.on((update) => hub.push("job", undefined, update)));
  return () => {
    for (const off of offs) off();
  };
}
