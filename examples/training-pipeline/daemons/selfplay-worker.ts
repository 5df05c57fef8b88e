import { fileURLToPath } from "node:url";
import { type DaemonSpec, defineDaemon } from "ringmaster";
import { z } from "zod";

const SCRIPT = fileURLToPath(new URL("../selfplay_worker.py", import.meta.url));

/**
 * The fleet's one real program: `selfplay_worker.py`, a Python stand-in for the seeds' self-play
 * processes, supervised as a command daemon. Its config reaches it as environment variables
 * (RINGMASTER_SELFPLAY_WORKER_GAMES_PER_BATCH, …); its output lines are its log; it crashes with
 * exit code 3 every 30–90 s and is restarted with backoff (1 s, 2 s, 4 s …; a good run of two
 * minutes resets the count, so it never reaches failed).
 */
export function selfplayWorkerDaemons(): DaemonSpec[] {
  return [
    defineDaemon({
      name: "selfplay_worker",
      description:
        "A real Python self-play process (selfplay_worker.py), restarted when it crashes",
      category: "selfplay",
      dependsOn: ["event_router"],
      command: ["python3", SCRIPT],
      config: z.object({
        gamesPerBatch: z.number().int().positive().default(8),
        intervalSeconds: z.number().positive().default(1),
        boardType: z.string().default("hex8"),
        /** The simulated crash comes after a random time in this range (seconds). */
        crashAfterSeconds: z
          .tuple([z.number().positive(), z.number().positive()])
          .default([30, 90]),
      }),
      killTimeout: "5s",
      restart: { maxRestarts: 10, resetAfter: "2m" },
    }),
  ];
}
