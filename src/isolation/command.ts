import { type ChildProcess, spawn } from "node:child_process";
import type { Clock, TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { COMMAND_DEFAULTS } from "./command-defaults.js";
import type { GroupTracker, ProgramExit, ProgramStats } from "./command-types.js";
import { createLineSplitter } from "./lines.js";
import { type GroupSample, groupRunning, sampleGroup } from "./proc-stats.js";

export interface ProgramOptions {
  /** The program and its arguments: `["python3", "selfplay.py", "--games", "8"]`. */
  argv: readonly string[];
  cwd?: string | undefined;
  /** The program's whole environment (nothing is added). */
  env: Readonly<Record<string, string | undefined>>;
  /** Written to the program's stdin, which is then closed; without it stdin is `/dev/null`. */
  stdin?: string | undefined;
  /** Each line of output, without its terminator, in order per stream. */
  onLine(stream: "stdout" | "stderr", line: string): void;
  clock: Clock;
  /** ms from SIGTERM to SIGKILL; default {@link COMMAND_DEFAULTS.killTimeout}. */
  killTimeout?: number | undefined;
  /** bytes: a group whose RSS goes above it is stopped with reason `"memory limit"`. */
  maxMemory?: number | undefined;
  /** ms between samples of RSS and CPU; default {@link COMMAND_DEFAULTS.sampleInterval}. */
  sampleInterval?: number | undefined;
  maxLineLength?: number | undefined;
  /** Told the group right after the spawn and once it is gone (the manager's reaper). */
  tracker?: GroupTracker | undefined;
}

/**
 * A program running as the leader of its own process group.
 *
 * Contract: `exited` resolves (never rejects) once the leader has exited, **every other process
 * of its group is gone** (stragglers get SIGTERM, then SIGKILL after `killTimeout`) and its output
 * has been delivered. `stop(reason)` sends SIGTERM to the group and SIGKILL after `killTimeout`;
 * it resolves with the same exit, whose `stoppedFor` is the reason of the first stop. A program
 * that cannot be spawned resolves `exited` with `spawnError` and has no pid.
 */
export interface Program {
  readonly pid: number | undefined;
  readonly exited: Promise<ProgramExit>;
  /** The exit, once `exited` has resolved. */
  readonly exit: ProgramExit | undefined;
  stop(reason?: string): Promise<ProgramExit>;
  /** Its pid and the last sample (nulls before the first one); undefined without a pid. */
  stats(): ProgramStats | undefined;
}

/** Starts `options.argv` detached (its own process group) and supervises it until its group is gone. */
export function startProgram(options: ProgramOptions): Program {
  const { clock, tracker } = options;
  const killTimeout = options.killTimeout ?? COMMAND_DEFAULTS.killTimeout;
  const sampleInterval = options.sampleInterval ?? COMMAND_DEFAULTS.sampleInterval;
  const maxLineLength = options.maxLineLength ?? COMMAND_DEFAULTS.maxLineLength;
  const [file, ...args] = options.argv;
  if (file === undefined) throw new TypeError("command: the program is missing (empty argv)");

  const exited = deferred<ProgramExit>();
  const closed = deferred<void>();
  let leader: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let stoppedFor: string | null = null;
  let killTimer: TimerHandle | undefined;
  let sampleTimer: TimerHandle | undefined;
  let stats: ProgramStats | undefined; // set once the pid is known
  let finishing = false;
  let lastExit: ProgramExit | undefined;

  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const pid = child.pid;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is gone already
    }
  };

  /** SIGTERM now, SIGKILL after killTimeout (once, however often it is asked). */
  const terminate = () => {
    if (killTimer !== undefined) return;
    signalGroup("SIGTERM");
    killTimer = clock.setTimeout(() => signalGroup("SIGKILL"), killTimeout);
  };

  const resolve = (exit: ProgramExit) => {
    if (killTimer !== undefined) clock.clearTimeout(killTimer);
    if (sampleTimer !== undefined) clock.clearTimeout(sampleTimer);
    if (pid !== undefined) tracker?.untrack(pid);
    lastExit = exit;
    exited.resolve(exit);
  };

  /** The leader is gone: whatever it left in its group goes too, then the output is drained. */
  const finish = async () => {
    if (finishing || pid === undefined) return;
    finishing = true;
    while (await groupRunning(pid)) {
      terminate();
      await new Promise<void>((done) => clock.setTimeout(done, COMMAND_DEFAULTS.exitPollInterval));
    }
    const drained = await Promise.race([
      closed.promise.then(() => true),
      new Promise<false>((done) =>
        clock.setTimeout(() => done(false), COMMAND_DEFAULTS.streamDrainTimeout),
      ),
    ]);
    if (!drained) {
      // Someone outside the group holds the pipes open; stop reading them.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    resolve({
      code: leader?.code ?? null,
      signal: leader?.signal ?? null,
      stoppedFor,
      spawnError: null,
    });
  };

  const sample = async () => {
    sampleTimer = undefined;
    if (pid === undefined || leader) return;
    const previous = stats;
    const now = clock.now();
    const group = await sampleGroup(pid);
    if (group === undefined || leader) return;
    stats = sampledStats(pid, previous, group, now);
    if (options.maxMemory !== undefined && group.rssBytes > options.maxMemory) {
      program.stop("memory limit");
    }
    sampleTimer = clock.setTimeout(() => void sample(), sampleInterval);
  };

  pipeLines(child, options.onLine, maxLineLength);

  child.once("error", (error: NodeJS.ErrnoException) => {
    if (pid !== undefined) return; // a late error of a started program (e.g. a kill); exit follows
    resolve({ code: null, signal: null, stoppedFor, spawnError: error.message });
  });
  child.once("exit", (code, signal) => {
    leader = { code, signal };
    void finish();
  });
  child.once("close", () => closed.resolve());

  if (pid !== undefined) {
    stats = sampledStats(pid, undefined, undefined, null);
    tracker?.track(pid, killTimeout);
    if (options.stdin !== undefined) {
      child.stdin?.on("error", () => {}); // EPIPE when the program does not read it
      child.stdin?.end(options.stdin);
    }
    sampleTimer = clock.setTimeout(() => void sample(), 0);
  }

  const program: Program = {
    pid,
    exited: exited.promise,
    get exit() {
      return lastExit;
    },
    stop(reason = "stop") {
      // After the leader ended by itself its exit stands; its stragglers are being ended anyway.
      if (leader === undefined && stoppedFor === null && !exited.settled) {
        stoppedFor = reason;
        terminate();
      }
      return exited.promise;
    },
    stats: () => stats,
  };
  return program;
}

/**
 * A program's stats after a sample of its group (`group`) at `now`: CPU is the share of one core
 * since the previous sample. Without a sample yet, only the pid.
 */
function sampledStats(
  pid: number,
  previous: ProgramStats | undefined,
  group: GroupSample | undefined,
  now: number | null,
): ProgramStats {
  if (!group || now === null)
    return {
      kind: "command",
      pid,
      processes: 1,
      rssBytes: null,
      cpuMs: null,
      cpuPercent: null,
      sampledAt: null,
    };
  const elapsed = previous?.sampledAt != null ? now - previous.sampledAt : 0;
  const cpuPercent =
    previous?.cpuMs != null && previous.sampledAt != null && elapsed > 0
      ? Math.max(0, ((group.cpuMs - previous.cpuMs) / elapsed) * 100)
      : null;
  return {
    kind: "command",
    pid,
    processes: group.pids.length,
    rssBytes: group.rssBytes,
    cpuMs: group.cpuMs,
    cpuPercent,
    sampledAt: now,
  };
}

/** Each line of the child's stdout and stderr to `onLine` (over-long lines split). */
function pipeLines(
  child: ChildProcess,
  onLine: ProgramOptions["onLine"],
  maxLineLength: number,
): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const splitter = createLineSplitter((line) => onLine(stream, line), maxLineLength);
    const readable = stream === "stdout" ? child.stdout : child.stderr;
    readable?.on("data", (chunk: Buffer) => splitter.push(chunk));
    readable?.on("end", () => splitter.end());
    readable?.on("close", () => splitter.end());
  }
}
