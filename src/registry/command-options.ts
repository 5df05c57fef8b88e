/**
 * The options of command daemons and command jobs (DESIGN.md §2 `command`, `cwd`, `env`,
 * `maxMemory`, `killTimeout`; §11 "Command daemons"), and how `defineDaemon` / `defineJob`
 * normalize them: durations to ms, sizes to bytes, everything checked with a message naming the
 * daemon and the option.
 */
import type { Duration } from "./daemon-types.js";
import { ISOLATION_DEFAULTS } from "./defaults.js";
import { parseDuration } from "./duration.js";
import type { JobCommand } from "./job-types.js";
import { parseSize, type Size } from "./size.js";

export type { Size } from "./size.js";

/** When a command daemon is ready: `"spawn"` (default), a matching output line, or a 2xx GET. */
export type CommandReadiness = "spawn" | { line: RegExp } | { http: string };

/** A command daemon's health check: a GET of `http` answering 2xx within `healthTimeout`. */
export interface CommandHealthCheck {
  http: string;
}

/** What a command daemon runs, normalized (`spec.command`). */
export interface CommandSpec {
  /** The program and its arguments. */
  readonly argv: readonly string[];
  readonly cwd: string | undefined;
  /** Added to the environment the program inherits (after the config variables). */
  readonly env: Readonly<Record<string, string>>;
  readonly ready: CommandReadiness;
  readonly health: CommandHealthCheck | undefined;
}

/** `maxMemory` and `killTimeout`, normalized (shared by daemons and jobs). */
export function processLimits(
  options: { maxMemory?: Size | undefined; killTimeout?: Duration | undefined },
  at: (option: string) => string,
): { maxMemory: number | undefined; killTimeout: number } {
  return {
    maxMemory:
      options.maxMemory === undefined ? undefined : parseSize(options.maxMemory, at("maxMemory")),
    killTimeout:
      options.killTimeout === undefined
        ? ISOLATION_DEFAULTS.killTimeout
        : parseDuration(options.killTimeout, at("killTimeout")),
  };
}

/** Checks `env`: an object of strings. */
export function commandEnv(env: unknown, what: string): Readonly<Record<string, string>> {
  if (env === undefined) return Object.freeze({});
  if (!env || typeof env !== "object" || Array.isArray(env)) {
    throw new TypeError(`${what}: expected an object of strings, found ${JSON.stringify(env)}`);
  }
  for (const [key, value] of Object.entries(env)) {
    if (typeof value !== "string") {
      throw new TypeError(`${what}.${key}: expected a string, found ${JSON.stringify(value)}`);
    }
  }
  return Object.freeze({ ...(env as Record<string, string>) });
}

/** What `defineDaemon` accepts for a command daemon, before normalization. */
export interface CommandOptionsInput {
  command?: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
  ready?: CommandReadiness;
  health?: unknown;
}

/**
 * Normalizes a command daemon's options, or returns undefined when it has no `command`. A
 * command daemon *is* its program: it has no setup, cycle, run or cleanup hook of its own.
 */
export function commandSpec(
  options: CommandOptionsInput & {
    readiness?: string;
    setup?: unknown;
    cycle?: unknown;
    run?: unknown;
    cleanup?: unknown;
  },
  at: (option: string) => string,
): CommandSpec | undefined {
  if (options.command === undefined) {
    for (const option of ["cwd", "env", "ready"] as const) {
      if (options[option] !== undefined)
        throw new TypeError(`${at(option)}: only a command daemon has ${option}; add command`);
    }
    if (options.health !== undefined && typeof options.health !== "function") {
      throw new TypeError(`${at("health")}: { http } is for command daemons; give a function`);
    }
    return undefined;
  }
  const argv = options.command;
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== "string")) {
    throw new TypeError(
      `${at("command")}: expected the program and its arguments, e.g. ["python3", "train.py"], found ${JSON.stringify(argv)}`,
    );
  }
  if (options.readiness === "manual") {
    throw new TypeError(`${at("readiness")}: a command daemon is ready by its ready option`);
  }
  for (const hook of ["setup", "cycle", "run", "cleanup"] as const) {
    if (options[hook] !== undefined) {
      throw new TypeError(`${at(hook)}: a command daemon is its program; it has no ${hook} hook`);
    }
  }
  if (options.cwd !== undefined && typeof options.cwd !== "string") {
    throw new TypeError(`${at("cwd")}: expected a directory path`);
  }
  return Object.freeze({
    argv: Object.freeze([...argv]),
    cwd: options.cwd,
    env: commandEnv(options.env, at("env")),
    ready: readiness(options.ready, at("ready")),
    health: healthCheck(options.health, at("health")),
  });
}

function readiness(ready: unknown, what: string): CommandReadiness {
  if (ready === undefined || ready === "spawn") return "spawn";
  if (ready && typeof ready === "object") {
    const r = ready as { line?: unknown; http?: unknown };
    if (r.line instanceof RegExp) return Object.freeze({ line: r.line });
    if (typeof r.http === "string" && /^https?:\/\//.test(r.http)) {
      return Object.freeze({ http: r.http });
    }
  }
  throw new TypeError(
    `${what}: expected "spawn", { line: /regex/ } or { http: "http://…" }, found ${String(ready)}`,
  );
}

function healthCheck(health: unknown, what: string): CommandHealthCheck | undefined {
  if (health === undefined || typeof health === "function") return undefined;
  const url = (health as { http?: unknown } | null)?.http;
  if (typeof url === "string" && /^https?:\/\//.test(url)) return Object.freeze({ http: url });
  throw new TypeError(`${what}: expected a function or { http: "http://…" }`);
}

/** Normalizes a command job's options, or returns undefined when it has no `command`. */
export function jobCommand<P>(
  options: {
    command?: (payload: P) => readonly string[];
    run?: unknown;
    cwd?: string;
    env?: Record<string, string>;
    killTimeout?: Duration;
    maxMemory?: Size;
  },
  at: (option: string) => string,
): JobCommand<P> | undefined {
  if (options.command === undefined) return undefined;
  if (typeof options.command !== "function") {
    throw new TypeError(`${at("command")}: expected (payload) => ["program", "arg", …]`);
  }
  if (options.run !== undefined) {
    throw new TypeError(`${at("run")}: give either run or command, not both`);
  }
  return Object.freeze({
    argv: options.command,
    cwd: options.cwd,
    env: commandEnv(options.env, at("env")),
    ...processLimits(options, at),
  });
}
