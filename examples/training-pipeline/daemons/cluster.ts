import { availableParallelism, loadavg } from "node:os";
import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import type { NodeReport } from "../events.js";
import { chance } from "../random.js";
import { DEMO_HEALTH_INTERVAL, type FleetOptions } from "./options.js";

const DEFAULT_NODES = ["gpu-1", "gpu-2", "gpu-3", "gpu-4"];

/**
 * The cluster loop: cluster_monitor polls the nodes (and fails now and then, so restarts with
 * backoff show), cluster_watchdog turns bad reports into NODE_UNHEALTHY, node_recovery (a
 * long-running `run` daemon) brings nodes back and says so with NODE_RECOVERED.
 */
export function clusterDaemons({ random }: FleetOptions): DaemonSpec[] {
  return [
    idleResource(random),
    clusterMonitor(random),
    nodeHealthMonitor(),
    clusterWatchdog(),
    nodeRecovery(),
  ];
}

function idleResource(random: FleetOptions["random"]) {
  let s = { checks: 0, lastUtilization: 0, idleSightings: 0 };
  return defineDaemon({
    name: "idle_resource",
    description: "Finds idle GPUs on this node and offers them to self-play",
    category: "resource",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    emits: ["IDLE_RESOURCE_DETECTED"],
    config: z.object({
      node: z.string().default("local"),
      gpus: z.number().int().positive().default(8),
      /** A GPU below this utilization counts as idle. */
      idleBelow: z.number().min(0).max(1).default(0.15),
    }),
    interval: "3s",
    setup() {
      s = { checks: 0, lastUtilization: 0, idleSightings: 0 };
    },
    cycle(ctx) {
      const readings = Array.from({ length: ctx.config.gpus }, () => random());
      const idle = readings.filter((u) => u < ctx.config.idleBelow).length;
      s.checks++;
      s.lastUtilization = readings.reduce((a, b) => a + b, 0) / readings.length;
      if (idle === 0) return;
      s.idleSightings++;
      ctx.events.publish("IDLE_RESOURCE_DETECTED", {
        node: ctx.config.node,
        idleGpus: idle,
        utilization: Number(s.lastUtilization.toFixed(3)),
      });
      ctx.log.debug(`${idle} idle GPUs on ${ctx.config.node}`);
    },
    health: () => ({
      status: "healthy",
      message: `GPU utilization ${(s.lastUtilization * 100).toFixed(0)}%`,
      details: { ...s },
    }),
  });
}

/**
 * Fails on about `failureRate` of its cycles (the cluster API "times out"). With
 * `maxConsecutiveErrors: 0` each such cycle is a failure, so the daemon goes to `backoff` and is
 * restarted after 1 s, 2 s, 4 s…; twenty seconds of good running resets the count, and the budget
 * of 10 restarts keeps a normal demo run from ever reaching `failed`. Not critical: its backoff
 * shows in its state and the charts, while `/ready` stays ready.
 */
function clusterMonitor(random: FleetOptions["random"]) {
  let s = { nodes: new Map<string, boolean>(), polls: 0 };
  return defineDaemon({
    name: "cluster_monitor",
    description: "Polls every node of the cluster and publishes what it sees",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["NODE_RECOVERED"],
    emits: ["CLUSTER_STATUS"],
    config: z.object({
      nodes: z.array(z.string()).default(DEFAULT_NODES),
      /** Fraction of polls on which the cluster API fails. */
      failureRate: z.number().min(0).max(1).default(0.1),
      /** Chance per poll that a healthy node goes bad. */
      nodeFailureRate: z.number().min(0).max(1).default(0.03),
    }),
    interval: "2s",
    maxConsecutiveErrors: 0,
    restart: { maxRestarts: 10, resetAfter: "20s" },
    // Its restarts show backoff at work; readiness should not flip with them.
    critical: false,
    setup(ctx) {
      s = { nodes: new Map(ctx.config.nodes.map((n) => [n, true])), polls: 0 };
      ctx.events.subscribe("NODE_RECOVERED", ({ payload }) => {
        if (s.nodes.has(payload.node)) s.nodes.set(payload.node, true);
      });
    },
    cycle(ctx) {
      if (chance(random, ctx.config.failureRate)) {
        throw new Error("cluster API did not answer within 1500 ms");
      }
      s.polls++;
      const nodes: NodeReport[] = [];
      for (const [node, healthy] of s.nodes) {
        const now = healthy && !chance(random, ctx.config.nodeFailureRate);
        s.nodes.set(node, now);
        nodes.push({ node, healthy: now, gpuUtilization: Number(random().toFixed(2)) });
      }
      ctx.events.publish("CLUSTER_STATUS", { nodes });
    },
    health: () => {
      const down = [...s.nodes].filter(([, ok]) => !ok).map(([n]) => n);
      return {
        status: down.length === 0 ? "healthy" : "degraded",
        message: down.length === 0 ? `${s.nodes.size} nodes up` : `down: ${down.join(", ")}`,
        details: { polls: s.polls, nodes: Object.fromEntries(s.nodes) },
      };
    },
  });
}

/** Kept in the start order for the seeds' sake; it still works, but start-up warns. */
function nodeHealthMonitor() {
  return defineDaemon({
    name: "node_health_monitor",
    description: "Checks this node's load (superseded by cluster_monitor)",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    deprecated: "superseded by cluster_monitor and cluster_watchdog; will be removed",
    config: z.object({ maxLoadPerCpu: z.number().positive().default(2) }),
    interval: "5s",
    cycle(ctx) {
      const load = loadavg()[0] ?? 0;
      const perCpu = load / Math.max(1, availableParallelism());
      if (perCpu > ctx.config.maxLoadPerCpu) ctx.log.warn(`load ${perCpu.toFixed(2)} per CPU`);
      ctx.heartbeat({ loadPerCpu: Number(perCpu.toFixed(2)) });
    },
    // no health hook: the manager derives health from the cycles (stale or failing → not healthy)
  });
}

function clusterWatchdog() {
  let s = { badReports: new Map<string, number>(), down: new Set<string>(), reported: 0 };
  return defineDaemon({
    name: "cluster_watchdog",
    description: "Raises NODE_UNHEALTHY when cluster_monitor keeps seeing a node bad",
    category: "health",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "cluster_monitor"],
    subscribes: ["CLUSTER_STATUS"],
    emits: ["NODE_UNHEALTHY"],
    config: z.object({
      /** Consecutive bad reports before a node counts as unhealthy. */
      downAfterReports: z.number().int().positive().default(1),
    }),
    setup(ctx) {
      s = { badReports: new Map(), down: new Set(), reported: 0 };
      ctx.events.subscribe("CLUSTER_STATUS", ({ payload }) => {
        for (const { node, healthy } of payload.nodes) {
          if (healthy) {
            s.badReports.delete(node);
            s.down.delete(node);
            continue;
          }
          const bad = (s.badReports.get(node) ?? 0) + 1;
          s.badReports.set(node, bad);
          if (bad >= ctx.config.downAfterReports && !s.down.has(node)) {
            s.down.add(node);
            s.reported++;
            ctx.events.publish("NODE_UNHEALTHY", { node, reason: `bad in ${bad} reports` });
            ctx.log.warn(`${node} is unhealthy`);
          }
        }
      });
    },
    health: () => ({
      status: s.down.size === 0 ? "healthy" : "degraded",
      message: s.down.size === 0 ? "all nodes healthy" : `${[...s.down].join(", ")} unhealthy`,
      details: { down: [...s.down], reported: s.reported },
    }),
  });
}

/** A long-running `run(ctx)` daemon: it works through a queue until it is stopped. */
function nodeRecovery() {
  let s = { queue: [] as string[], recovering: null as string | null, recovered: 0 };
  return defineDaemon({
    name: "node_recovery",
    description: "Restarts the services of unhealthy nodes",
    category: "resource",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["NODE_UNHEALTHY"],
    emits: ["NODE_RECOVERED"],
    config: z.object({
      recoverySeconds: z.number().positive().default(3),
      pollMs: z.number().int().positive().default(500),
    }),
    setup(ctx) {
      s = { queue: [], recovering: null, recovered: 0 };
      ctx.events.subscribe("NODE_UNHEALTHY", ({ payload }) => {
        if (!s.queue.includes(payload.node)) s.queue.push(payload.node);
      });
    },
    async run(ctx) {
      while (!ctx.signal.aborted) {
        try {
          const node = s.queue.shift();
          if (!node) {
            await ctx.sleep(ctx.config.pollMs);
            continue;
          }
          s.recovering = node;
          const started = ctx.clock.now();
          ctx.log.info(`recovering ${node}`);
          await ctx.sleep(ctx.config.recoverySeconds * 1000);
          s.recovering = null;
          s.recovered++;
          ctx.events.publish("NODE_RECOVERED", {
            node,
            action: "restarted services",
            durationMs: ctx.clock.now() - started,
          });
          ctx.log.info(`${node} recovered`);
        } catch (error) {
          if (ctx.signal.aborted) return; // stopping: ctx.sleep rejected
          throw error;
        }
      }
    },
    health: () => ({
      status: "healthy",
      message: s.recovering ? `recovering ${s.recovering}` : `${s.recovered} recoveries`,
      details: { queued: s.queue.length, recovered: s.recovered },
    }),
  });
}
