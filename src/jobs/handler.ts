/**
 * What one attempt runs: the job's handler inline, in a fresh worker thread or child process
 * (`isolation`), or for a command job its program (DESIGN.md §7, §11).
 */
import type { Clock } from "../internal/clock.js";
import type { CommandHost } from "../isolation/command-daemon.js";
import { runCommandJob } from "../isolation/command-job.js";
import { runIsolatedJob } from "../isolation/host-runner.js";
import type { JobContext, JobSpec } from "../registry/types.js";

/** Runs one attempt of `spec` on `payload`; what it returns (or resolves with) is the result. */
export function runJobHandler(
  spec: JobSpec,
  payload: unknown,
  ctx: JobContext,
  clock: Clock,
  programs: CommandHost | undefined,
): unknown {
  const { command } = spec;
  if (!command) {
    if (spec.isolation === "inline" || !spec.module) return spec.run(payload, ctx);
    // Off the main thread: a fresh guest per attempt, ended by force after a cancel.
    return runIsolatedJob(
      {
        kind: spec.isolation,
        module: spec.module,
        maxMemory: spec.maxMemory,
        killTimeout: spec.killTimeout,
      },
      spec.type,
      payload,
      ctx,
    );
  }
  if (!programs) throw new Error(`job "${spec.type}" runs a program; this worker cannot`);
  return runCommandJob({
    argv: command.argv(payload),
    payload,
    ctx,
    clock,
    cwd: command.cwd,
    inheritedEnv: programs.inheritedEnv,
    env: command.env,
    killTimeout: command.killTimeout,
    maxMemory: command.maxMemory,
    tracker: programs.tracker,
  });
}
