import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import { DEMO_HEALTH_INTERVAL, type FleetOptions } from "./options.js";

/** Disk housekeeping for worker nodes and for the coordinator: one factory, two daemons. */
export function diskDaemons({ random }: FleetOptions): DaemonSpec[] {
  return [
    diskManager(random, {
      name: "disk_space_manager",
      description: "Deletes old self-play data before a worker's disk fills",
      startPercent: 55,
    }),
    diskManager(random, {
      name: "coordinator_disk_manager",
      description: "Archives old training files before the coordinator's disk fills",
      startPercent: 65,
    }),
  ];
}

function diskManager(
  random: FleetOptions["random"],
  o: { name: string; description: string; startPercent: number },
) {
  let s = { usedPercent: o.startPercent, cleanups: 0, freedPercent: 0 };
  return defineDaemon({
    name: o.name,
    description: o.description,
    category: "recovery",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    config: z.object({
      warnPercent: z.number().min(1).max(100).default(80),
      cleanupPercent: z.number().min(1).max(100).default(90),
      targetPercent: z.number().min(1).max(100).default(70),
      /** Simulated growth per cycle, at most. */
      growthPercent: z.number().min(0).default(3),
    }),
    interval: "5s",
    setup() {
      s = { usedPercent: o.startPercent, cleanups: 0, freedPercent: 0 };
    },
    cycle(ctx) {
      s.usedPercent = Math.min(100, s.usedPercent + random() * ctx.config.growthPercent);
      if (s.usedPercent < ctx.config.cleanupPercent) return;
      const freed = s.usedPercent - ctx.config.targetPercent;
      s.usedPercent = ctx.config.targetPercent;
      s.cleanups++;
      s.freedPercent += freed;
      ctx.log.info(
        `disk at ${ctx.config.cleanupPercent}%+: freed ${freed.toFixed(1)}% of the disk`,
      );
    },
    health: (ctx) => ({
      status: s.usedPercent >= ctx.config.warnPercent ? "degraded" : "healthy",
      message: `disk ${s.usedPercent.toFixed(0)}% used`,
      details: { ...s },
    }),
  });
}
