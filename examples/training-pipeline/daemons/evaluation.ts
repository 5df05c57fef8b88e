import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import { between } from "../random.js";
import { clamp, DEMO_HEALTH_INTERVAL, type FleetOptions, percent } from "./options.js";

/**
 * The model half of the loop: evaluation scores each trained model, auto_promotion crowns the ones
 * that beat the threshold and the champion, model_distribution ships the champion to the nodes,
 * distillation (on a cron) makes small students of distributed models.
 */
export function evaluationDaemons({ random }: FleetOptions): DaemonSpec[] {
  return [
    qualityMonitor(random),
    distillation(),
    evaluation(random),
    unifiedPromotion(),
    autoPromotion(),
    modelDistribution(random),
  ];
}

function qualityMonitor(random: FleetOptions["random"]) {
  let s = { exports: 0, lastQuality: null as number | null, lowExports: 0 };
  return defineDaemon({
    name: "quality_monitor",
    description: "Scores the quality of every exported training file",
    category: "evaluation",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["NPZ_EXPORT_COMPLETED"],
    config: z.object({ minQuality: z.number().min(0).max(1).default(0.75) }),
    setup(ctx) {
      s = { exports: 0, lastQuality: null, lowExports: 0 };
      ctx.events.subscribe("NPZ_EXPORT_COMPLETED", ({ payload }) => {
        const quality = clamp(0.7 + random() * 0.3, 0, 1);
        s.exports++;
        s.lastQuality = quality;
        if (quality < ctx.config.minQuality) {
          s.lowExports++;
          ctx.log.warn(
            `${payload.file}: quality ${percent(quality)} is below ${percent(ctx.config.minQuality)}`,
          );
        }
      });
    },
    health: (ctx) => {
      if (s.lastQuality === null) return { status: "unknown", message: "no export seen yet" };
      const low = s.lastQuality < ctx.config.minQuality;
      return {
        status: low ? "degraded" : "healthy",
        message: `last export quality ${percent(s.lastQuality)}`,
        details: { ...s },
      };
    },
  });
}

/** Runs on a cron schedule rather than an interval. */
function distillation() {
  let s = { queue: [] as string[], distilled: [] as string[] };
  return defineDaemon({
    name: "distillation",
    description: "Distils each distributed model into a small student model",
    category: "evaluation",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["MODEL_DISTRIBUTED"],
    config: z.object({ studentSizePercent: z.number().int().min(1).max(100).default(25) }),
    cron: "*/10 * * * * *", // every 10 seconds
    setup(ctx) {
      s = { queue: [], distilled: [] };
      ctx.events.subscribe("MODEL_DISTRIBUTED", ({ payload }) => {
        s.queue.push(payload.model);
      });
    },
    cycle(ctx) {
      const model = s.queue.pop(); // the newest; older ones are superseded
      s.queue = [];
      if (!model) return;
      s.distilled.push(`${model}-small`);
      ctx.log.info(
        `distilled ${model} into ${model}-small (${ctx.config.studentSizePercent}% size)`,
      );
    },
    health: () => ({
      status: "healthy",
      message: s.distilled.length ? `latest student ${s.distilled.at(-1)}` : "no student yet",
      details: { students: s.distilled.length },
    }),
  });
}

function evaluation(random: FleetOptions["random"]) {
  let s = {
    queue: [] as Array<{ model: string; generation: number }>,
    evaluated: 0,
    last: null as null | { model: string; score: number },
  };
  return defineDaemon({
    name: "evaluation",
    description: "Plays a gauntlet with every new model and reports its win rate",
    category: "evaluation",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["TRAINING_COMPLETED"],
    emits: ["EVALUATION_COMPLETED"],
    config: z.object({
      gauntletGames: z.number().int().positive().default(100),
      /** Expected win rate of generation 0; each generation adds `improvementPerGeneration`. */
      baselineScore: z.number().min(0).max(1).default(0.45),
      improvementPerGeneration: z.number().min(0).default(0.05),
      noise: z.number().min(0).default(0.08),
    }),
    interval: "2s",
    setup(ctx) {
      s = { queue: [], evaluated: 0, last: null };
      ctx.events.subscribe("TRAINING_COMPLETED", ({ payload }) => {
        s.queue.push({ model: payload.model, generation: payload.generation });
      });
    },
    async cycle(ctx) {
      const next = s.queue.shift();
      if (!next) return;
      const c = ctx.config;
      await ctx.sleep(between(random, 300, 800)); // the gauntlet
      const expected = c.baselineScore + next.generation * c.improvementPerGeneration;
      const score = Number(clamp(expected + (random() * 2 - 1) * c.noise, 0, 1).toFixed(3));
      s.evaluated++;
      s.last = { model: next.model, score };
      ctx.events.publish("EVALUATION_COMPLETED", {
        model: next.model,
        generation: next.generation,
        score,
        games: c.gauntletGames,
      });
      ctx.log.info(`${next.model} won ${percent(score)} of ${c.gauntletGames} gauntlet games`);
    },
    health: () => ({
      status: "healthy",
      message: s.last ? `${s.last.model}: ${percent(s.last.score)}` : "no model evaluated yet",
      details: { evaluated: s.evaluated, queued: s.queue.length },
    }),
  });
}

/** The promotion controller's leaderboard (the seeds' "promotion controller wiring"). */
function unifiedPromotion() {
  let s = { scores: new Map<string, number>(), champion: null as string | null };
  return defineDaemon({
    name: "unified_promotion",
    description: "Keeps the leaderboard of evaluated models and the current champion",
    category: "evaluation",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["EVALUATION_COMPLETED", "MODEL_PROMOTED"],
    config: z.object({ leaderboardSize: z.number().int().positive().default(5) }),
    setup(ctx) {
      s = { scores: new Map(), champion: null };
      ctx.events.subscribe("EVALUATION_COMPLETED", ({ payload }) => {
        s.scores.set(payload.model, payload.score);
      });
      ctx.events.subscribe("MODEL_PROMOTED", ({ payload }) => {
        s.champion = payload.model;
      });
    },
    health: (ctx) => {
      const leaderboard = [...s.scores]
        .sort((a, b) => b[1] - a[1])
        .slice(0, ctx.config.leaderboardSize)
        .map(([model, score]) => ({ model, score }));
      return {
        status: "healthy",
        message: s.champion ? `champion ${s.champion}` : "no champion yet",
        details: { champion: s.champion, leaderboard },
      };
    },
  });
}

function autoPromotion() {
  let s = { champion: null as null | { model: string; score: number }, promotions: 0, rejected: 0 };
  return defineDaemon({
    name: "auto_promotion",
    description: "Promotes a model that beats the threshold and the champion",
    category: "evaluation",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "evaluation"],
    subscribes: ["EVALUATION_COMPLETED"],
    emits: ["MODEL_PROMOTED"],
    config: z.object({ promotionThreshold: z.number().min(0).max(1).default(0.55) }),
    setup(ctx) {
      s = { champion: null, promotions: 0, rejected: 0 };
      ctx.events.subscribe("EVALUATION_COMPLETED", ({ payload }) => {
        const { model, score } = payload;
        const beatsChampion = !s.champion || score > s.champion.score;
        if (score < ctx.config.promotionThreshold || !beatsChampion) {
          s.rejected++;
          ctx.log.info(
            `${model} not promoted (${percent(score)}; needs ${percent(ctx.config.promotionThreshold)} and to beat ${s.champion?.model ?? "nobody"})`,
          );
          return;
        }
        const previous = s.champion?.model ?? null;
        s.champion = { model, score };
        s.promotions++;
        ctx.events.publish("MODEL_PROMOTED", { model, score, previous });
        ctx.log.info(
          `promoted ${model} (${percent(score)})${previous ? `, replacing ${previous}` : ""}`,
        );
      });
    },
    health: () => ({
      status: "healthy",
      message: s.champion
        ? `champion ${s.champion.model} (${percent(s.champion.score)})`
        : "no champion yet",
      details: { promotions: s.promotions, rejected: s.rejected },
    }),
  });
}

function modelDistribution(random: FleetOptions["random"]) {
  let s = { queue: [] as string[], distributed: [] as string[] };
  return defineDaemon({
    name: "model_distribution",
    description: "Copies each promoted model to every node",
    category: "distribution",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "evaluation", "auto_promotion"],
    subscribes: ["MODEL_PROMOTED"],
    emits: ["MODEL_DISTRIBUTED"],
    config: z.object({
      nodes: z.array(z.string()).default(["gpu-1", "gpu-2", "gpu-3", "gpu-4"]),
    }),
    interval: "2s",
    setup(ctx) {
      s = { queue: [], distributed: [] };
      ctx.events.subscribe("MODEL_PROMOTED", ({ payload }) => {
        s.queue.push(payload.model);
      });
    },
    async cycle(ctx) {
      const model = s.queue.shift();
      if (!model) return;
      const started = ctx.clock.now();
      for (const node of ctx.config.nodes) {
        await ctx.sleep(between(random, 50, 250)); // one copy
        ctx.log.debug(`copied ${model} to ${node}`);
      }
      s.distributed.push(model);
      const durationMs = ctx.clock.now() - started;
      ctx.events.publish("MODEL_DISTRIBUTED", { model, nodes: [...ctx.config.nodes], durationMs });
      ctx.log.info(`distributed ${model} to ${ctx.config.nodes.length} nodes in ${durationMs} ms`);
    },
    health: () => ({
      status: s.queue.length > 2 ? "degraded" : "healthy",
      message: s.distributed.length
        ? `serving ${s.distributed.at(-1)}${s.queue.length ? `, ${s.queue.length} queued` : ""}`
        : "nothing distributed yet",
      details: { distributed: s.distributed.length, queued: s.queue.length },
    }),
  });
}
