import type { DaemonContext, HealthResult } from "../registry/types.js";
import { type Program, startProgram } from "./command.js";
import { configEnv, programEnv } from "./command-env.js";
import {
  type CommandHealthCheck,
  type CommandReadiness,
  exitFailure,
  type GroupTracker,
  type ProgramExit,
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

type RunContext = Pick<
  DaemonContext<Record<string, unknown>>,
  "config" | "log" | "signal" | "clock"
>;

/**
 * One run of a command daemon: the daemon *is* the program (DESIGN.md §11).
 *
 * Contract, for one instance (a fresh runner per run, never reused after `stop`):
 * - `start(ctx)` starts the program in its own process group with the resolved config in its
 *   environment ({@link configEnv}) and the spec's `env`, and resolves when it is ready by
 *   `ready`; it rejects (after making sure the group is gone) when the program exits first or
 *   `ctx.signal` aborts. stdout lines become `info` lines of `ctx.log`, stderr lines `warn`.
 * - `run()` resolves when the program ends with exit code 0 or by a `stop`, and rejects with
 *   `exit code N`, `signal SIGKILL` or `memory limit` otherwise.
 * - `stop()` sends SIGTERM to the group, SIGKILL after `killTimeout`, and resolves with the exit
 *   once every process of the group is gone. Idempotent; harmless before `start`.
 * - `health()` GETs `health.http`, or resolves undefined without one (the manager derives health).
 */
export class CommandRunner {
  readonly kind = "command" as const;
  private program: Program | undefined;

  constructor(
    private readonly spec: CommandDaemonSpec,
    private readonly host: CommandHost,
  ) {}

  async start(ctx: RunContext): Promise<void> {
    if (this.program) throw new Error(`command daemon ${this.spec.name}: started twice`);
    const { spec, host } = this;
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
    this.program = program;
    ctx.log.info(`started ${spec.command.join(" ")}`, { pid: program.pid ?? null });
    try {
      await waitReady({
        program,
        ready: spec.ready ?? "spawn",
        clock: ctx.clock,
        signal: ctx.signal,
        onLine(listener) {
          lineListeners.add(listener);
          return () => lineListeners.delete(listener);
        },
      });
    } catch (error) {
      await program.stop();
      throw error;
    }
  }

  async run(): Promise<void> {
    if (!this.program) throw new Error(`command daemon ${this.spec.name}: run before start`);
    const failure = exitFailure(await this.program.exited);
    if (failure !== null) throw new Error(failure);
  }

  async stop(): Promise<ProgramExit | undefined> {
    return this.program?.stop();
  }

  async health(): Promise<HealthResult | undefined> {
    const check = this.spec.health;
    return check ? httpHealth(check.http, this.spec.healthTimeout) : undefined;
  }

  /** The program's pid and resource use, once started. */
  stats(): ProgramStats | undefined {
    return this.program?.stats();
  }
}
