import type { DaemonContext, DaemonHooks, HealthResult } from "../registry/types.js";
import { type Program, startProgram } from "./command.js";
import { configEnv, programEnv } from "./command-env.js";
import {
  type CommandHealthCheck,
  type CommandReadiness,
  exitFailure,
  type GroupTracker,
  type ProgramStats,
} from "./command-types.js";
import { httpHealth, waitReady } from "./readiness.js";

/** What a command daemon declares (DESIGN.md §2, §11), normalized: durations ms, sizes bytes. */
export interface CommandDaemonSpec {
  name: string;
  /** The name part of its config variables; default its name. */
  envName?: string | undefined;
  command: readonly string[];
  cwd?: string | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  /** Default `"spawn"`. */
  ready?: CommandReadiness | undefined;
  health?: CommandHealthCheck | undefined;
  healthTimeout: number;
  killTimeout: number;
  maxMemory?: number | undefined;
}

/** What the manager lends command daemons. */
export interface CommandHost {
  /** The config's `envPrefix` (`RINGMASTER`). */
  envPrefix: string;
  /** The environment programs inherit (the manager's own). */
  inheritedEnv: Readonly<Record<string, string | undefined>>;
  /** The manager's reaper, so no program outlives the manager. */
  tracker?: GroupTracker | undefined;
}

/** The program of one run, and how that run is doing. */
interface CommandRun {
  program: Program;
  lineListeners: Set<(line: string) => void>;
}

/**
 * The hooks that make a daemon *be* a program, so the supervisor runs it with its one state
 * machine (start, readiness, backoff, health, stop) like any inline daemon:
 *
 * - `setup` starts the program in its own process group with the resolved config in its
 *   environment ({@link configEnv}) and resolves when it is ready by `ready`; stdout lines become
 *   `info` log lines, stderr lines `warn`;
 * - `run` resolves when the program ends with exit code 0 (the restart policy decides what
 *   follows) and rejects with `exit code N`, `signal SIGKILL` or `memory limit` otherwise; when
 *   the daemon is stopped it sends SIGTERM to the group, SIGKILL after `killTimeout`, and
 *   resolves once the whole group is gone;
 * - `health` (only with `health: { http }`) GETs the URL;
 * - `cleanup` makes sure the group is gone, also after a failed start.
 */
export function commandDaemonHooks(
  spec: CommandDaemonSpec,
  host: CommandHost,
): Required<Pick<DaemonHooks<Record<string, unknown>>, "setup" | "run" | "cleanup">> &
  Pick<DaemonHooks<Record<string, unknown>>, "health"> & {
    /** The program's pid and resource use in the run of `ctx`, while it runs. */
    stats(ctx: DaemonContext<Record<string, unknown>>): ProgramStats | undefined;
  } {
  // One entry per run: the supervisor hands setup, run and cleanup of a run the same ctx.
  const runs = new WeakMap<AbortSignal, CommandRun>();
  const ready = spec.ready ?? "spawn";

  const setup = async (ctx: DaemonContext<Record<string, unknown>>) => {
    const lineListeners = new Set<(line: string) => void>();
    const program = startProgram({
      argv: spec.command,
      cwd: spec.cwd,
      env: programEnv(
        host.inheritedEnv,
        configEnv(host.envPrefix, spec.envName ?? spec.name, ctx.config),
        spec.env,
      ),
      clock: ctx.clock,
      killTimeout: spec.killTimeout,
      maxMemory: spec.maxMemory,
      tracker: host.tracker,
      onLine(stream, line) {
        for (const listener of lineListeners) listener(line);
        if (line.trim() === "") return;
        if (stream === "stdout") ctx.log.info(line);
        else ctx.log.warn(line);
      },
    });
    runs.set(ctx.signal, { program, lineListeners });
    program.exited.then((exit) => {
      const failure = exitFailure(exit);
      if (failure !== null && exit.stoppedFor === null) ctx.log.warn(`program ended: ${failure}`);
    });
    ctx.log.info(`started ${spec.command.join(" ")}`, { pid: program.pid ?? null });
    try {
      await waitReady({
        program,
        ready,
        clock: ctx.clock,
        signal: ctx.signal,
        onLine(listener) {
          lineListeners.add(listener);
          return () => lineListeners.delete(listener);
        },
      });
    } catch (error) {
      await program.stop("stop");
      throw error;
    }
  };

  const run = async (ctx: DaemonContext<Record<string, unknown>>) => {
    const entry = runs.get(ctx.signal);
    if (!entry) throw new Error(`command daemon ${spec.name}: run without setup`);
    const { program } = entry;
    const onAbort = () => void program.stop("stop");
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
    const exit = await program.exited;
    ctx.signal.removeEventListener("abort", onAbort);
    const failure = exitFailure(exit);
    if (failure !== null) throw new Error(failure);
  };

  const cleanup = async (ctx: DaemonContext<Record<string, unknown>>) => {
    const entry = runs.get(ctx.signal);
    if (!entry) return;
    await entry.program.stop("stop");
    runs.delete(ctx.signal);
  };

  const check = spec.health;
  const health = check
    ? (): Promise<HealthResult> => httpHealth(check.http, spec.healthTimeout)
    : undefined;

  return {
    setup,
    run,
    cleanup,
    ...(health ? { health } : {}),
    stats: (ctx) => runs.get(ctx.signal)?.program.stats(),
  };
}
