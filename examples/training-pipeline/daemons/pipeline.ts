import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";
import { between } from "../random.js";
import { clamp, DEMO_HEALTH_INTERVAL, type FleetOptions } from "./options.js";

/**
 * The data half of the loop: self-play makes games, auto_sync ships them, data_pipeline ingests
 * them, auto_export writes training files past a threshold, training_trigger trains past another
 * threshold, feedback_loop tunes self-play from the results.
 */
export function pipelineDaemons({ random }: FleetOptions): DaemonSpec[] {
  return [
    selfplayCoordinator(random),
    autoSync(random),
    dataPipeline(),
    autoExport(random),
    trainingTrigger(random),
    feedbackLoop(),
    trainingNodeWatcher(),
  ];
}

function selfplayCoordinator(random: FleetOptions["random"]) {
  let s = { totalGames: 0, boost: 1, boostUntil: 0, idleGpus: 0 };
  return defineDaemon({
    name: "selfplay_coordinator",
    description: "Schedules self-play on the GPUs and announces finished games",
    category: "pipeline",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["EXPLORATION_BOOST", "IDLE_RESOURCE_DETECTED"],
    emits: ["NEW_GAMES_AVAILABLE"],
    config: z.object({
      boardConfig: z.string().default("hex8_2p"),
      gamesPerCycle: z.number().int().positive().default(40),
      /** Games per cycle added for each idle GPU that idle_resource reports. */
      gamesPerIdleGpu: z.number().int().nonnegative().default(5),
      maxBoostFactor: z.number().min(1).default(3),
    }),
    interval: "1s",
    setup(ctx) {
      s = { totalGames: 0, boost: 1, boostUntil: 0, idleGpus: 0 };
      ctx.events.subscribe("EXPLORATION_BOOST", ({ payload }) => {
        s.boost = Math.min(ctx.config.maxBoostFactor, payload.factor);
        s.boostUntil = ctx.clock.now() + payload.durationMs;
        ctx.log.info(`exploration boost ×${s.boost} for ${payload.durationMs / 1000}s`, {
          reason: payload.reason,
        });
      });
      ctx.events.subscribe("IDLE_RESOURCE_DETECTED", ({ payload }) => {
        s.idleGpus += payload.idleGpus;
      });
    },
    cycle(ctx) {
      if (s.boost > 1 && ctx.clock.now() >= s.boostUntil) s.boost = 1;
      const base = ctx.config.gamesPerCycle * (0.5 + random()) * s.boost;
      const games = Math.max(1, Math.round(base + s.idleGpus * ctx.config.gamesPerIdleGpu));
      s.idleGpus = 0;
      s.totalGames += games;
      ctx.events.publish("NEW_GAMES_AVAILABLE", {
        config: ctx.config.boardConfig,
        games,
        totalGames: s.totalGames,
      });
      ctx.log.debug(`${games} games finished`, { totalGames: s.totalGames });
    },
    health: () => ({
      status: "healthy",
      message: `${s.totalGames} games${s.boost > 1 ? `, exploring ×${s.boost}` : ""}`,
      details: { totalGames: s.totalGames, boost: s.boost },
    }),
  });
}

function autoSync(random: FleetOptions["random"]) {
  let s = { pendingGames: 0, syncedGames: 0, syncs: 0, lastSyncAt: 0 };
  return defineDaemon({
    name: "auto_sync",
    description: "Pushes new self-play games from the generators to the training store",
    category: "sync",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "data_pipeline", "feedback_loop"],
    subscribes: ["NEW_GAMES_AVAILABLE"],
    emits: ["DATA_SYNC_COMPLETED"],
    config: z.object({
      /** Most games shipped in one sync. */
      batchSize: z.number().int().positive().default(1000),
      gamesPerFile: z.number().int().positive().default(50),
    }),
    interval: "3s",
    setup(ctx) {
      s = { pendingGames: 0, syncedGames: 0, syncs: 0, lastSyncAt: ctx.clock.now() };
      ctx.events.subscribe("NEW_GAMES_AVAILABLE", ({ payload }) => {
        s.pendingGames += payload.games;
      });
    },
    async cycle(ctx) {
      if (s.pendingGames === 0) return;
      const games = Math.min(s.pendingGames, ctx.config.batchSize);
      const started = ctx.clock.now();
      await ctx.sleep(between(random, 100, 400)); // the transfer
      s.pendingGames -= games;
      s.syncedGames += games;
      s.syncs++;
      s.lastSyncAt = ctx.clock.now();
      const files = Math.ceil(games / ctx.config.gamesPerFile);
      ctx.events.publish("DATA_SYNC_COMPLETED", {
        games,
        files,
        durationMs: s.lastSyncAt - started,
      });
      ctx.log.info(`synced ${games} games in ${files} files`, { pending: s.pendingGames });
    },
    health: (ctx) => {
      const ago = Math.round((ctx.clock.now() - s.lastSyncAt) / 1000);
      return {
        status: s.pendingGames > ctx.config.batchSize * 3 ? "degraded" : "healthy",
        message: `last sync ${ago}s ago, ${s.pendingGames} games pending`,
        details: { syncs: s.syncs, syncedGames: s.syncedGames, pendingGames: s.pendingGames },
      };
    },
  });
}

/** No schedule of its own: it lives through its subscriptions, tracking the pipeline's stage. */
function dataPipeline() {
  let s = { totalGames: 0, exportedGames: 0, stage: "collecting", runs: 0 };
  return defineDaemon({
    name: "data_pipeline",
    description: "Ingests synced games and tracks which stage the pipeline is in",
    category: "pipeline",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: [
      "DATA_SYNC_COMPLETED",
      "NPZ_EXPORT_COMPLETED",
      "TRAINING_STARTED",
      "TRAINING_COMPLETED",
    ],
    emits: ["GAMES_INGESTED"],
    config: z.object({
      /** More ingested-but-unexported games than this means export is falling behind. */
      maxPendingGames: z.number().int().positive().default(5000),
    }),
    setup(ctx) {
      s = { totalGames: 0, exportedGames: 0, stage: "collecting", runs: 0 };
      ctx.events.subscribe("DATA_SYNC_COMPLETED", ({ payload }) => {
        s.totalGames += payload.games;
        ctx.events.publish("GAMES_INGESTED", {
          games: payload.games,
          pendingGames: s.totalGames - s.exportedGames,
          totalGames: s.totalGames,
        });
      });
      ctx.events.subscribe("NPZ_EXPORT_COMPLETED", ({ payload }) => {
        s.exportedGames += payload.games;
        if (s.stage === "collecting") s.stage = "exported";
      });
      ctx.events.subscribe("TRAINING_STARTED", ({ payload }) => {
        s.stage = `training (${payload.runId})`;
      });
      ctx.events.subscribe("TRAINING_COMPLETED", ({ payload }) => {
        s.runs++;
        s.stage = "collecting";
        ctx.log.info(`pipeline round ${s.runs} done: ${payload.model}`);
      });
    },
    health: (ctx) => {
      const pendingGames = s.totalGames - s.exportedGames;
      return {
        status: pendingGames > ctx.config.maxPendingGames ? "degraded" : "healthy",
        message: `stage: ${s.stage}, ${pendingGames} games not exported`,
        details: { ...s, pendingGames },
      };
    },
  });
}

function autoExport(random: FleetOptions["random"]) {
  let s = { pendingGames: 0, exports: 0, exportedGames: 0 };
  return defineDaemon({
    name: "auto_export",
    description: "Exports ingested games to NPZ training files past a threshold",
    category: "pipeline",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["GAMES_INGESTED"],
    emits: ["NPZ_EXPORT_COMPLETED"],
    config: z.object({
      exportThresholdGames: z.number().int().positive().default(200),
      samplesPerGame: z.number().int().positive().default(60),
    }),
    interval: "2s",
    setup(ctx) {
      s = { pendingGames: 0, exports: 0, exportedGames: 0 };
      ctx.events.subscribe("GAMES_INGESTED", ({ payload }) => {
        s.pendingGames += payload.games;
      });
    },
    async cycle(ctx) {
      if (s.pendingGames < ctx.config.exportThresholdGames) return;
      const games = s.pendingGames;
      await ctx.sleep(between(random, 200, 600)); // writing the file
      s.pendingGames -= games;
      s.exports++;
      s.exportedGames += games;
      const file = `hex8_2p-${String(s.exports).padStart(4, "0")}.npz`;
      const samples = games * ctx.config.samplesPerGame;
      ctx.events.publish("NPZ_EXPORT_COMPLETED", { file, games, samples });
      ctx.log.info(`exported ${games} games to ${file}`, { samples });
    },
    health: (ctx) => ({
      status: "healthy",
      message: `${s.exports} exports, ${s.pendingGames}/${ctx.config.exportThresholdGames} games pending`,
      details: { ...s },
    }),
  });
}

interface TrainingRun {
  runId: string;
  games: number;
  startedAt: number;
  finishAt: number;
}

function trainingTrigger(random: FleetOptions["random"]) {
  let s = { pendingGames: 0, pendingSamples: 0, generation: 0, run: null as TrainingRun | null };
  return defineDaemon({
    name: "training_trigger",
    description: "Starts a training run once enough exported games are waiting",
    category: "pipeline",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router", "auto_export"],
    subscribes: ["NPZ_EXPORT_COMPLETED"],
    emits: ["TRAINING_STARTED", "TRAINING_COMPLETED"],
    config: z.object({
      /** Games that must be exported before a run starts (env RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES). */
      thresholdGames: z.number().int().positive().default(500),
      /** How long a simulated training run takes. */
      trainingSeconds: z.number().positive().default(4),
    }),
    interval: "1s",
    setup(ctx) {
      s = { pendingGames: 0, pendingSamples: 0, generation: 0, run: null };
      ctx.events.subscribe("NPZ_EXPORT_COMPLETED", ({ payload }) => {
        s.pendingGames += payload.games;
        s.pendingSamples += payload.samples;
      });
    },
    cycle(ctx) {
      const now = ctx.clock.now();
      if (s.run) {
        if (now < s.run.finishAt) return;
        s.generation++;
        const loss = clamp(1.2 / (1 + 0.35 * s.generation) + (random() - 0.5) * 0.05, 0.05, 2);
        const model = `model-gen${s.generation}`;
        ctx.events.publish("TRAINING_COMPLETED", {
          runId: s.run.runId,
          model,
          generation: s.generation,
          loss: Number(loss.toFixed(4)),
          durationMs: now - s.run.startedAt,
        });
        ctx.log.info(`${s.run.runId} finished: ${model}, loss ${loss.toFixed(3)}`);
        s.run = null;
        return;
      }
      if (s.pendingGames < ctx.config.thresholdGames) return;
      const runId = `run-${s.generation + 1}`;
      s.run = {
        runId,
        games: s.pendingGames,
        startedAt: now,
        finishAt: now + ctx.config.trainingSeconds * 1000,
      };
      ctx.events.publish("TRAINING_STARTED", {
        runId,
        games: s.pendingGames,
        samples: s.pendingSamples,
      });
      ctx.log.info(`${runId} started on ${s.pendingGames} games`, { samples: s.pendingSamples });
      // The run's epochs as a job, with progress the dashboard's Jobs page shows as it moves.
      ctx.jobs
        .launch(
          "training_run",
          { runId, games: s.pendingGames },
          { reason: `${s.pendingGames} exported games waiting`, dedupKey: runId },
        )
        .catch((error: unknown) =>
          ctx.log.warn(`could not launch the training job of ${runId}: ${String(error)}`),
        );
      s.pendingGames = 0;
      s.pendingSamples = 0;
    },
    health: (ctx) => ({
      status: "healthy",
      message: s.run
        ? `training ${s.run.runId}`
        : `${s.pendingGames}/${ctx.config.thresholdGames} games for the next run`,
      details: {
        generation: s.generation,
        pendingGames: s.pendingGames,
        training: s.run?.runId ?? null,
      },
    }),
  });
}

function feedbackLoop() {
  let s = { boosts: 0, lastScore: null as number | null };
  return defineDaemon({
    name: "feedback_loop",
    description: "Turns training and evaluation results into self-play exploration signals",
    category: "feedback",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["TRAINING_COMPLETED", "EVALUATION_COMPLETED"],
    emits: ["EXPLORATION_BOOST"],
    config: z.object({
      boostFactor: z.number().min(1).default(1.5),
      boostSeconds: z.number().positive().default(10),
      /** Below this evaluation score self-play explores harder. */
      weakScore: z.number().min(0).max(1).default(0.5),
    }),
    setup(ctx) {
      s = { boosts: 0, lastScore: null };
      const boost = (factor: number, reason: string) => {
        s.boosts++;
        ctx.events.publish("EXPLORATION_BOOST", {
          factor,
          durationMs: ctx.config.boostSeconds * 1000,
          reason,
        });
      };
      ctx.events.subscribe("TRAINING_COMPLETED", ({ payload }) => {
        boost(ctx.config.boostFactor, `fresh data for after ${payload.model}`);
      });
      ctx.events.subscribe("EVALUATION_COMPLETED", ({ payload }) => {
        s.lastScore = payload.score;
        if (payload.score < ctx.config.weakScore) {
          boost(ctx.config.boostFactor * 2, `${payload.model} scored ${payload.score.toFixed(2)}`);
        }
      });
    },
    health: () => ({
      status: "healthy",
      message: `${s.boosts} boosts${s.lastScore === null ? "" : `, last score ${s.lastScore.toFixed(2)}`}`,
      details: { ...s },
    }),
  });
}

function trainingNodeWatcher() {
  let s = { active: null as { runId: string; since: number } | null, runs: 0 };
  return defineDaemon({
    name: "training_node_watcher",
    description: "Watches training activity on this node and flags stuck runs",
    category: "pipeline",
    healthInterval: DEMO_HEALTH_INTERVAL,
    dependsOn: ["event_router"],
    subscribes: ["TRAINING_STARTED", "TRAINING_COMPLETED"],
    config: z.object({ stuckAfterSeconds: z.number().positive().default(60) }),
    interval: "5s",
    setup(ctx) {
      s = { active: null, runs: 0 };
      ctx.events.subscribe("TRAINING_STARTED", ({ payload }) => {
        s.active = { runId: payload.runId, since: ctx.clock.now() };
      });
      ctx.events.subscribe("TRAINING_COMPLETED", () => {
        s.active = null;
        s.runs++;
      });
    },
    cycle(ctx) {
      if (s.active && ctx.clock.now() - s.active.since > ctx.config.stuckAfterSeconds * 1000) {
        ctx.log.warn(
          `${s.active.runId} has been training for over ${ctx.config.stuckAfterSeconds}s`,
        );
      }
    },
    health: (ctx) => {
      if (!s.active) return { status: "healthy", message: `idle, ${s.runs} runs seen` };
      const seconds = Math.round((ctx.clock.now() - s.active.since) / 1000);
      const stuck = seconds > ctx.config.stuckAfterSeconds;
      return {
        status: stuck ? "degraded" : "healthy",
        message: `${s.active.runId} training for ${seconds}s${stuck ? " (stuck?)" : ""}`,
        details: { runId: s.active.runId, seconds, runs: s.runs },
      };
    },
  });
}
