import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { DaemonLogger } from "../registry/types.js";
import type { GuestHandle } from "./host.js";
import { GUEST_DEFAULTS } from "./host.js";
import { guestEntry, needsTypeScript, tsxImport } from "./host-entry.js";
import { forwardLines } from "./host-lines.js";
import { Spares } from "./host-spares.js";
import {
  deserializeError,
  type Message,
  type ResourceSample,
  type SerializedError,
} from "./protocol.js";
import type { GuestOptions, RunnerExit } from "./types.js";

const STDERR_TAIL = 4096;

/**
 * Sends `signal` to the whole process group led by `pid`; false once there is none. A child
 * that never got a pid (its fork failed) has no group: `kill(-0)` would signal the manager's own.
 */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function forkGuest(typescript: boolean): ChildProcess {
  return fork(fileURLToPath(guestEntry("process")), [], {
    execArgv: typescript ? ["--import", tsxImport()] : [],
    serialization: "advanced",
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
}

/** Handles that keep the manager's event loop alive while a child is in service. */
const handles = (child: ChildProcess) =>
  [child, child.channel, child.stdout, child.stderr].filter(
    (h): h is NonNullable<typeof h> & { ref(): void; unref(): void } =>
      !!h && typeof (h as { unref?: unknown }).unref === "function",
  );

const spares = new Spares<ChildProcess>({
  make: (key) => forkGuest(key === "ts"),
  park: (child) => {
    for (const handle of handles(child)) handle.unref();
  },
  unpark: (child) => {
    for (const handle of handles(child)) handle.ref();
  },
  onEnd: (child, listener) => child.once("exit", listener),
  end: (child) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    signalGroup(child.pid ?? 0, "SIGKILL");
    return exited;
  },
});

/** Ends the spare child processes (a manager's shutdown; they would also leave with it). */
export function closeProcessSpares(): Promise<void> {
  return spares.close();
}

/** The spare child processes parked now (for tests). */
export function processSpares(): readonly ChildProcess[] {
  return spares.spares;
}

/**
 * Starts a child-process guest (the warm spare when there is one, see `host-spares.ts`): forked with an IPC channel (structured clone), detached into its
 * own process group (it watches its parent, see `guest-process.ts`). Exits are worded
 * `"exit code n"`, `"signal SIGKILL"`, `"uncaught: Name: message"` (the guest says so before it
 * exits) or `"memory limit"`: RSS above `maxMemory` in a sample (every second) ends the group,
 * as does V8 running out of heap. `force()` sends SIGTERM to the group, then SIGKILL after
 * `killTimeout`, and resolves once the child is gone.
 */
export function spawnProcessGuest(options: GuestOptions, log: DaemonLogger): GuestHandle {
  const typescript = needsTypeScript("process", options.module);
  const child =
    options.spare === false ? forkGuest(typescript) : spares.take(typescript ? "ts" : "js");
  const pid = child.pid ?? 0;
  let stderrTail = "";
  forwardLines(child.stdout, (line) => log.info(line, { stream: "stdout" }));
  forwardLines(child.stderr, (line) => {
    stderrTail = (stderrTail + line + "\n").slice(-STDERR_TAIL);
    log.warn(line, { stream: "stderr" });
  });
  let fatal: Error | undefined;
  let overLimit = false;
  let gone = false;
  let rssBytes: number | undefined;
  let heapBytes: number | undefined;
  let cpuPercent: number | undefined;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (message: Message) => {
    if (message.t === "note" && message.op === "fatal") {
      fatal = deserializeError(message.args as SerializedError);
    }
  });
  // A fork that cannot start (no such file, no memory) reports it here, then exits.
  child.on("error", (error) => {
    fatal ??= error;
  });
  const killTimeout = options.killTimeout ?? GUEST_DEFAULTS.killTimeout;

  const force = async (): Promise<"SIGTERM" | "SIGKILL"> => {
    if (gone || !signalGroup(pid, "SIGTERM")) return "SIGTERM";
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), killTimeout);
    });
    const first = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (first !== "late") return "SIGTERM";
    signalGroup(pid, "SIGKILL");
    await exited;
    return "SIGKILL";
  };

  const reason = (
    code: number | null,
    signal: string | null,
  ): Pick<RunnerExit, "reason" | "error"> => {
    if (overLimit || /heap out of memory/i.test(stderrTail)) return { reason: "memory limit" };
    if (fatal) return { reason: `uncaught: ${fatal.name}: ${fatal.message}`, error: fatal };
    if (signal) return { reason: `signal ${signal}` };
    return { reason: `exit code ${code}` };
  };

  return {
    channel: {
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on("message", (message: Message) => listener(message)),
    },
    onExit(listener) {
      child.once("exit", (code, signal) => {
        gone = true;
        // Whatever the child left running in its group goes with it.
        signalGroup(pid, "SIGKILL");
        listener({ ...reason(code, signal), code, signal });
      });
    },
    force,
    sample(sample: ResourceSample) {
      rssBytes = sample.rssBytes;
      heapBytes = sample.heapBytes;
      cpuPercent =
        sample.wallMicros > 0 ? Math.round((sample.cpuMicros / sample.wallMicros) * 1000) / 10 : 0;
      if (options.maxMemory && sample.rssBytes > options.maxMemory && !overLimit) {
        overLimit = true;
        log.warn(`RSS ${sample.rssBytes} bytes is above maxMemory ${options.maxMemory}: ending it`);
        void force();
      }
    },
    stats: () => ({
      pid,
      ...(rssBytes !== undefined ? { rssBytes } : {}),
      ...(heapBytes !== undefined ? { heapBytes } : {}),
      ...(cpuPercent !== undefined ? { cpuPercent } : {}),
    }),
  };
}
