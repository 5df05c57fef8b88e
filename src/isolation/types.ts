import type { DaemonContext, HealthResult, JobContext } from "../registry/types.js";

/** Where a daemon's code runs (DESIGN.md §2 `isolation`, §11). */
export type IsolationKind = "inline" | "worker" | "process";

/** A cluster daemon's lease as its code sees it (DESIGN.md §8). */
export interface LeaseView {
  readonly token: number;
  readonly holder: string;
  /** ms since the epoch */
  readonly expiresAt: number;
  held(): boolean;
  assertHeld(): void;
}

/** A host-side `ctx`, as the supervisor builds it: the inline context, plus a lease for cluster daemons. */
export type HostContext = DaemonContext<unknown> & { readonly lease?: LeaseView | undefined };

/**
 * What a runner reports about where its daemon runs: status, `/api/daemons`, `/metrics` and the
 * dashboard show it. `"command"` is a command daemon (its program is the daemon, §11).
 */
export interface RunnerStats {
  kind: IsolationKind | "command";
  /** The child's pid (process; command: the program's, also its process group's), or the manager's (worker). */
  pid?: number;
  /** The worker's thread id. */
  threadId?: number;
  /** Command: live processes in the program's group at the last sample. */
  processes?: number;
  /** Resident set size, bytes: the child process's (process), the program's whole group (command); a thread has none of its own. */
  rssBytes?: number;
  /** Used V8 heap of the guest's isolate, bytes (worker, process). */
  heapBytes?: number;
  /**
   * CPU over the last sample, in % of one core (process: the child's CPU time; command: the
   * group's, may exceed 100). Worker: its event-loop utilization in % (Node 20 has no per-thread
   * CPU clock).
   */
  cpuPercent?: number;
}

/**
 * How a guest ended. `reason` is what `lastError` shows: `"exit code 1"`, `"signal SIGKILL"`,
 * `"memory limit"`, `"uncaught: TypeError: …"`, or `"stopped"` when the runner's own `stop` ended it.
 */
export interface RunnerExit {
  reason: string;
  /** True when `stop()` asked for it; false for a crash, an exit the daemon chose, or a memory limit. */
  expected: boolean;
  code: number | null;
  signal: string | null;
  /** The uncaught error, when that is what ended it. */
  error?: Error;
}

/** How `stop` ended the guest. */
export interface RunnerStopResult {
  /** It left on request within the grace period. */
  graceful: boolean;
  /** What it took otherwise: worker `terminate()`, or the signal last sent to the process group. */
  forced: "terminate" | "SIGTERM" | "SIGKILL" | null;
  durationMs: number;
}

/**
 * One run of a daemon, wherever it runs: inline (the manager's own event loop), in a worker
 * thread or in a child process. The supervisor drives it exactly as it drives an inline daemon,
 * with the same state machine, timeouts and backoff; only the runner knows where the code is.
 *
 * Contract, for one instance (a fresh runner per run, never reused after `stop`):
 * - `start(ctx)` loads the daemon (spawning its guest), runs `setup` with a context bridged to
 *   `ctx` and resolves when `setup` resolves; `ctx.ready()` reaches the host's `ctx` as it is
 *   called (readiness `"manual"`). It rejects with setup's error, or a {@link GuestExitError} if
 *   the guest died. Aborting `ctx.signal` aborts the guest's signal.
 * - `cycle(ctx)`, `run()`, `health()`, `cleanup()` run that hook (a missing hook resolves at once
 *   with `undefined`); `cycle` takes the cycle's context, whose signal aborts the guest's cycle.
 *   A hook in flight when the guest dies rejects with a {@link GuestExitError}.
 * - `onExit` is told once when the guest ends for any reason, expected or not; the supervisor
 *   treats an unexpected exit as a failure of the run with `exit.reason` as the error.
 * - `stop(graceMs)` asks the guest to leave, forces it after `graceMs` (worker: `terminate()`;
 *   process: SIGTERM to its process group, then SIGKILL after `killTimeout`), and resolves once it
 *   is gone. It does not run `cleanup`: the supervisor does that first, as for inline daemons.
 */
export interface DaemonRunner {
  readonly kind: IsolationKind;
  start(ctx: HostContext): Promise<void>;
  cycle(ctx: HostContext): Promise<void>;
  run(): Promise<void>;
  health(): Promise<HealthResult | undefined>;
  cleanup(): Promise<void>;
  stop(graceMs: number): Promise<RunnerStopResult>;
  stats(): RunnerStats;
  onExit(listener: (exit: RunnerExit) => void): void;
}

/** Which hooks the daemon has, as the guest found them. */
export interface GuestHooks {
  setup: boolean;
  cycle: boolean;
  run: boolean;
  health: boolean;
  cleanup: boolean;
}

/** Where an isolated daemon or job comes from, and the limits it runs under. */
export interface GuestOptions {
  kind: "worker" | "process";
  /** Absolute path (or file URL) of the module that exports the spec. */
  module: string;
  /** Bytes; a guest above it is ended with reason `"memory limit"`. */
  maxMemory?: number | undefined;
  /** ms between SIGTERM and SIGKILL of a process guest's group (default 5 s). */
  killTimeout?: number | undefined;
  /** Take a warm spare guest when there is one (default true; see `host-spares.ts`). */
  spare?: boolean | undefined;
  /** ms between resource samples (default 1 s). */
  sampleInterval?: number | undefined;
}

/** A job's attempt run in a guest: `run(payload, ctx)` of the exported job spec of `type`. */
export interface JobGuestRequest {
  type: string;
  payload: unknown;
  ctx: JobContext;
}

/** The guest ended while a call to it was in flight (or before it could be made). */
export class GuestExitError extends Error {
  override name = "GuestExitError";
  constructor(readonly exit: RunnerExit) {
    super(exit.reason);
  }
}
