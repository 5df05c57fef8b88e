import type { DaemonContext, DaemonHooks, DaemonSpec } from "../registry/types.js";
import { type CommandDaemonSpec, type CommandHost, CommandRunner } from "./command-runner.js";
import type { ProgramStats } from "./command-types.js";
import { httpHealth } from "./readiness.js";
import type { RunnerStats } from "./types.js";

export type { CommandDaemonSpec, CommandHost } from "./command-runner.js";

type Ctx = DaemonContext<Record<string, unknown>>;

/** The hooks of a command daemon, and the stats of the run a ctx belongs to. */
export interface CommandDaemonHooks
  extends Required<Pick<DaemonHooks<Record<string, unknown>>, "setup" | "run" | "cleanup">>,
    Pick<DaemonHooks<Record<string, unknown>>, "health"> {
  stats(ctx: Ctx): ProgramStats | undefined;
}

/**
 * The hooks that make a daemon *be* a program, so the supervisor runs it with its one state
 * machine (start, readiness, backoff, health, stop) like any inline daemon. Each run gets a
 * {@link CommandRunner}: `setup` starts it (ready when the program is), `run` waits for the
 * program's end (exit code 0 or a stop: normal; anything else rejects with the reason) and stops
 * it when `ctx.signal` aborts, `cleanup` makes sure its group is gone, also after a failed start;
 * `health` exists only with `health: { http }`.
 */
export function commandDaemonHooks(spec: CommandDaemonSpec, host: CommandHost): CommandDaemonHooks {
  // One runner per run: the supervisor hands setup, run and cleanup of a run the same ctx.
  const runners = new WeakMap<AbortSignal, CommandRunner>();
  const runnerOf = (ctx: Ctx) => {
    const runner = runners.get(ctx.signal);
    if (!runner) throw new Error(`command daemon ${spec.name}: no program for this run`);
    return runner;
  };
  const check = spec.health;
  const health = check ? () => httpHealth(check.http, spec.healthTimeout) : undefined;
  return {
    async setup(ctx) {
      const runner = new CommandRunner(spec, host);
      runners.set(ctx.signal, runner);
      await runner.start(ctx);
    },
    async run(ctx) {
      const runner = runnerOf(ctx);
      const onAbort = () => void runner.stop();
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        await runner.run();
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
    async cleanup(ctx) {
      await runners.get(ctx.signal)?.stop();
      runners.delete(ctx.signal);
    },
    ...(health ? { health } : {}),
    stats: (ctx) => runners.get(ctx.signal)?.stats(),
  };
}

/** A daemon spec as the supervisor runs it, and for a command daemon where to read its program's use. */
export interface ProgramSpec {
  spec: DaemonSpec;
  /** Command daemons only: the stats of the program of the run `ctx` belongs to (undefined before it started). */
  stats?: ((ctx: Ctx) => ProgramStats | undefined) | undefined;
}

/**
 * `spec` as the supervisor runs it: a command daemon (`spec.command`) gets the hooks of
 * {@link commandDaemonHooks} (and `readiness: "setup"`, so it is ready when its program is), and
 * `stats` to read its program's pid and resource use; any other spec is returned as it is.
 * Without `host` (a manager with no programs part) a command daemon's start fails with a clear
 * error.
 */
export function programSpec(spec: DaemonSpec, host: CommandHost | undefined): ProgramSpec {
  const { command } = spec;
  if (!command) return { spec };
  if (!host) {
    return {
      spec: Object.freeze({
        ...spec,
        setup() {
          throw new Error(`command daemon ${spec.name}: this manager cannot run programs`);
        },
      }),
    };
  }
  const { stats, ...hooks } = commandDaemonHooks(
    {
      name: spec.name,
      command: command.argv,
      cwd: command.cwd,
      env: command.env,
      ready: command.ready,
      health: command.health,
      healthTimeout: spec.healthTimeout,
      killTimeout: spec.killTimeout,
      maxMemory: spec.maxMemory,
    },
    host,
  );
  return {
    spec: Object.freeze({ ...spec, readiness: "setup" as const, health: spec.health, ...hooks }),
    stats,
  };
}

/** A command program's stats in the shape status shows for every daemon ({@link RunnerStats}). */
export function programRunnerStats(stats: ProgramStats | undefined): RunnerStats {
  if (!stats) return { kind: "command" };
  return {
    kind: "command",
    pid: stats.pid,
    processes: stats.processes,
    ...(stats.rssBytes !== null ? { rssBytes: stats.rssBytes } : {}),
    ...(stats.cpuPercent !== null ? { cpuPercent: stats.cpuPercent } : {}),
  };
}
