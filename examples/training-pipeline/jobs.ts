import { defineJob, type JobSpec } from "ringmaster";
import { z } from "zod";

/** A training run's epochs: how many, and how long each takes in the demo. */
export const TRAINING_JOB = { epochs: 10, epochMs: 1_500 };

/** Waits `ms` of real time, or until `signal` aborts (the job is cancelled or the manager stops). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The jobs of the fleet: `training_run`, launched by training_trigger for each run it starts,
 * trains epoch by epoch and reports its progress (`epoch 3/10, loss 0.412`), which the dashboard's
 * Jobs page and `ringmaster jobs` show as it moves.
 */
export function trainingJobs(): JobSpec[] {
  return [
    defineJob({
      type: "training_run",
      payload: z.object({
        runId: z.string(),
        games: z.number().int().nonnegative(),
        epochs: z.number().int().positive().default(TRAINING_JOB.epochs),
        epochMs: z.number().int().positive().default(TRAINING_JOB.epochMs),
      }),
      concurrency: 2,
      maxAttempts: 1,
      async run(payload, ctx) {
        let loss = 1.5;
        for (let epoch = 1; epoch <= payload.epochs; epoch++) {
          await pause(payload.epochMs, ctx.signal);
          loss *= 0.85;
          ctx.progress(
            (epoch / payload.epochs) * 100,
            `epoch ${epoch}/${payload.epochs}, loss ${loss.toFixed(3)}`,
          );
        }
        ctx.log.info(`${payload.runId}: ${payload.epochs} epochs on ${payload.games} games`);
        return { loss: Number(loss.toFixed(4)) };
      },
    }),
  ];
}
