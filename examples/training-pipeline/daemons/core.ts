import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { adaptService, type DaemonContext, type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import { DEMO_HEALTH_INTERVAL } from "./options.js";

/**
 * Infrastructure: the event router everything depends on, the watchdog, the fleet's own health
 * endpoint and the coordinator's health monitor.
 */
export function coreDaemons(): DaemonSpec[] {
  return [eventRouter(), daemonWatchdog(), coordinatorHealthMonitor(), healthServer()];
}

/**
 * Ready by hand (`readiness: "manual"`): its long-running `run` warms up, then calls
 * `ctx.ready()`; only then do its dependents start.
 */
function eventRouter() {
  const s = { readyAt: 0 };
  return defineDaemon({
    name: "event_router",
    description: "The event bus every other daemon depends on",
    category: "event",
    healthInterval: DEMO_HEALTH_INTERVAL,
    readiness: "manual",
    config: z.object({
      /** Simulated connection warm-up before the router reports ready. */
      warmupMs: z.number().int().nonnegative().default(300),
      heartbeatSeconds: z.number().positive().default(5),
    }),
    async run(ctx) {
      try {
        await ctx.sleep(ctx.config.warmupMs);
        s.readyAt = ctx.clock.now();
        ctx.ready();
        ctx.log.info(`routing events (warm-up ${ctx.config.warmupMs} ms)`);
        for (;;) {
          await ctx.sleep(ctx.config.heartbeatSeconds * 1000);
          ctx.heartbeat({ upMs: ctx.clock.now() - s.readyAt });
        }
      } catch (error) {
        if (ctx.signal.aborted) return; // stopping
        throw error;
      }
    },
    health: () => ({ status: "healthy", message: "routing" }),
  });
}

/**
 * Restarting is the manager's job in ringmaster; the watchdog keeps its slot in the start order
 * and watches that the pipeline keeps moving. No health hook: its health is derived from its
 * cycles (a stale or failing cycle makes it unhealthy or degraded).
 */
function daemonWatchdog() {
  let s = { lastGamesAt: 0, lastModelAt: 0, stalls: 0 };
  return defineDaemon({
    name: "daemon_watchdog",
    description: "Warns when self-play or training stops making progress",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["NEW_GAMES_AVAILABLE", "TRAINING_COMPLETED"],
    config: z.object({ stallSeconds: z.number().positive().default(30) }),
    interval: "5s",
    setup(ctx) {
      s = { lastGamesAt: ctx.clock.now(), lastModelAt: ctx.clock.now(), stalls: 0 };
      ctx.events.subscribe("NEW_GAMES_AVAILABLE", () => {
        s.lastGamesAt = ctx.clock.now();
      });
      ctx.events.subscribe("TRAINING_COMPLETED", () => {
        s.lastModelAt = ctx.clock.now();
      });
    },
    cycle(ctx) {
      const quiet = (ctx.clock.now() - s.lastGamesAt) / 1000;
      if (quiet > ctx.config.stallSeconds) {
        s.stalls++;
        ctx.log.warn(`no new games for ${Math.round(quiet)}s`);
      }
      ctx.heartbeat({ gamesQuietSeconds: Math.round(quiet), stalls: s.stalls });
    },
  });
}

/** Uses the seeds' health shape `{ healthy, message, details }`; the manager normalizes it. */
function coordinatorHealthMonitor() {
  let s = { startedAt: 0, checks: 0, heapMb: 0 };
  return defineDaemon({
    name: "coordinator_health_monitor",
    description: "Watches the coordinator process itself: uptime and memory",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    config: z.object({ maxHeapMb: z.number().positive().default(1024) }),
    interval: "5s",
    setup(ctx) {
      s = { startedAt: ctx.clock.now(), checks: 0, heapMb: 0 };
    },
    cycle() {
      s.checks++;
      s.heapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    },
    health: (ctx) => ({
      healthy: s.heapMb <= ctx.config.maxHeapMb,
      message: `heap ${s.heapMb} MB, up ${Math.round((ctx.clock.now() - s.startedAt) / 1000)}s`,
      details: { checks: s.checks, heapMb: s.heapMb },
    }),
  });
}

type HealthServerConfig = { host: string; port: number };

/**
 * A small HTTP endpoint (`GET /healthz`) written as an ordinary class with start/stop, the way
 * existing services are; `adaptService` turns it into a daemon, one instance per start.
 */
export class HealthEndpoint {
  private server: Server | undefined;
  private requests = 0;
  url: string | undefined;

  async start(ctx: DaemonContext): Promise<void> {
    const { host, port } = ctx.config as HealthServerConfig;
    const server = createServer((req, res) => {
      this.requests++;
      const ok = req.url === "/healthz";
      res.writeHead(ok ? 200 : 404, { "content-type": "application/json" });
      res.end(
        JSON.stringify(ok ? { status: "ok", requests: this.requests } : { error: "not found" }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.url = `http://${host}:${address.port}/healthz`;
    ctx.log.info(`health endpoint at ${this.url}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  health() {
    return this.server?.listening
      ? {
          healthy: true,
          message: `${this.url} (${this.requests} requests)`,
          details: { requests: this.requests },
        }
      : { healthy: false, message: "not listening" };
  }
}

function healthServer() {
  // The class, not an instance: every start builds a fresh endpoint (no state from a failed run).
  return adaptService(HealthEndpoint, {
    name: "health_server",
    description: "Serves GET /healthz for load balancers",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    config: z.object({
      host: z.string().default("127.0.0.1"),
      /** 0 picks a free port. */
      port: z.number().int().min(0).max(65535).default(0),
    }),
  });
}
