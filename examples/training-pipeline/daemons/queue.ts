import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import { DEMO_HEALTH_INTERVAL } from "./options.js";

/** The self-play work queue: topped up by queue_populator, watched by work_queue_monitor. */
export function queueDaemons(): DaemonSpec[] {
  let s = { depth: 0, added: 0 };
  const populator = defineDaemon({
    name: "queue_populator",
    description: "Keeps the self-play work queue filled to its target depth",
    category: "queue",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "selfplay_coordinator"],
    subscribes: ["NEW_GAMES_AVAILABLE"],
    emits: ["WORK_QUEUE_UPDATED"],
    config: z.object({
      targetDepth: z.number().int().positive().default(100),
      /** Finished games that use up one work item. */
      gamesPerItem: z.number().int().positive().default(10),
    }),
    interval: "3s",
    setup(ctx) {
      s = { depth: ctx.config.targetDepth, added: 0 };
      ctx.events.subscribe("NEW_GAMES_AVAILABLE", ({ payload }) => {
        s.depth = Math.max(0, s.depth - Math.ceil(payload.games / ctx.config.gamesPerItem));
      });
    },
    cycle(ctx) {
      const added = ctx.config.targetDepth - s.depth;
      if (added <= 0) return;
      s.depth += added;
      s.added += added;
      ctx.events.publish("WORK_QUEUE_UPDATED", {
        depth: s.depth,
        added,
        target: ctx.config.targetDepth,
      });
    },
    health: (ctx) => ({
      status: "healthy",
      message: `queue ${s.depth}/${ctx.config.targetDepth}`,
      details: { ...s },
    }),
  });

  let m = { depth: null as number | null, updates: 0 };
  const monitor = defineDaemon({
    name: "work_queue_monitor",
    description: "Reports the depth of the work queue",
    category: "queue",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", populator],
    subscribes: ["WORK_QUEUE_UPDATED"],
    config: z.object({ lowWatermark: z.number().int().nonnegative().default(20) }),
    setup(ctx) {
      m = { depth: null, updates: 0 };
      ctx.events.subscribe("WORK_QUEUE_UPDATED", ({ payload }) => {
        m.depth = payload.depth;
        m.updates++;
      });
    },
    health: (ctx) => {
      if (m.depth === null) return { status: "unknown", message: "no queue update yet" };
      return {
        status: m.depth < ctx.config.lowWatermark ? "degraded" : "healthy",
        message: `depth ${m.depth}`,
        details: { ...m },
      };
    },
  });
  return [populator, monitor];
}
