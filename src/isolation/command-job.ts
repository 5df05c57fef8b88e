import type { Clock } from "../internal/clock.js";
import { coerceError } from "../internal/errors.js";
import type { JobContext } from "../registry/types.js";
import { startProgram } from "./command.js";
import { programEnv } from "./command-env.js";
import { exitFailure, type GroupTracker } from "./command-types.js";

/** How one attempt of a command job runs. */
export interface CommandJobOptions {
  /** The program for this payload: `defineJob({ command: (payload) => [...] })`. */
  argv: readonly string[];
  payload: unknown;
  ctx: JobContext;
  clock: Clock;
  cwd?: string | undefined;
  /** The manager's environment, then the job's `env`. */
  inheritedEnv: Readonly<Record<string, string | undefined>>;
  env?: Readonly<Record<string, string>> | undefined;
  killTimeout: number;
  maxMemory?: number | undefined;
  tracker?: GroupTracker | undefined;
}

/** `::progress 40` or `::progress 40 halfway there`: the program reports progress on stdout. */
const PROGRESS = /^::progress\s+(-?\d+(?:\.\d+)?)(?:\s+(.*))?$/;

/**
 * Runs one attempt of a command job (DESIGN.md §7, §11): the payload as JSON on stdin; stdout
 * lines `::progress N [message]` set progress (clamped to 0–100), other stdout lines are `info`
 * lines of the job's log and stderr lines `warn` lines. Resolves with `{ exitCode: 0 }` when the
 * program exits with 0; rejects with `exit code N` / `signal S` / `memory limit` otherwise.
 *
 * When `ctx.signal` aborts (cancel, timeout, the service stopping) the program's group gets
 * SIGTERM, then SIGKILL after `killTimeout`; the promise settles — with the abort's reason —
 * only once the whole group is gone, so no process outlives its job.
 */
export async function runCommandJob(options: CommandJobOptions): Promise<{ exitCode: 0 }> {
  const { ctx } = options;
  if (ctx.signal.aborted) throw coerceError(ctx.signal.reason);
  const program = startProgram({
    argv: options.argv,
    cwd: options.cwd,
    env: programEnv(options.inheritedEnv, options.env),
    stdin: `${JSON.stringify(options.payload ?? null)}\n`,
    clock: options.clock,
    killTimeout: options.killTimeout,
    maxMemory: options.maxMemory,
    tracker: options.tracker,
    onLine(stream, line) {
      if (stream === "stdout") {
        const progress = PROGRESS.exec(line);
        if (progress) {
          const percent = Math.min(100, Math.max(0, Number(progress[1])));
          ctx.progress(percent, progress[2]);
          return;
        }
      }
      if (line.trim() === "") return;
      if (stream === "stdout") ctx.log.info(line);
      else ctx.log.warn(line);
    },
  });
  const onAbort = () => void program.stop("stop");
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const exit = await program.exited;
  ctx.signal.removeEventListener("abort", onAbort);
  if (ctx.signal.aborted) throw coerceError(ctx.signal.reason);
  const failure = exitFailure(exit);
  if (failure !== null) throw new Error(failure);
  return { exitCode: 0 };
}
