import { describeError } from "../internal/errors.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { formatDuration } from "../registry/duration.js";
import type { EscapeKind, Owner } from "./async-context.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { Run } from "./run.js";

// What happens to a daemon when code of one of its runs misbehaves outside the supervisor's
// reach (DESIGN.md §11): an error nothing caught fails that run, marked `uncaught`, and it
// restarts by its policy; a stall of the event loop is counted, logged, and past `maxStall`
// fails the run. The owner of a run is its AsyncLocalStorage store (async-context.ts).

/**
 * The owner of one run of `d`: every hook of the run, and all it schedules, runs as it. Timers,
 * sockets and promises the run created keep their owner as long as they live, so the owner
 * lets go of the run when it ends ({@link releaseOwner}): a long-lived resource then keeps only
 * the supervisor, not what the run held.
 */
export function daemonOwner(d: DaemonSupervisor, run: Run): Owner & { run: Run | undefined } {
  return new DaemonOwner(d, run);
}

/** A class, not an object of closures: a fleet of thousands of runs shares its two methods. */
class DaemonOwner implements Owner {
  readonly kind = "daemon" as const;
  readonly label: string;
  constructor(
    private readonly d: DaemonSupervisor,
    public run: Run | undefined,
  ) {
    this.label = d.name;
  }
  escaped(error: Error, how: EscapeKind): void {
    onEscaped(this.d, this.run, error, how);
  }
  stalled(ms: number): void {
    onStalled(this.d, this.run, ms);
  }
}

/** The run is over: its owner no longer holds it. */
export function releaseOwner(owner: Owner): void {
  if ("run" in owner) (owner as { run: Run | undefined }).run = undefined;
}

const KIND_TEXT: Record<EscapeKind, string> = {
  uncaughtException: "an uncaught exception",
  unhandledRejection: "an unhandled rejection",
};

function onEscaped(d: DaemonSupervisor, run: Run | undefined, error: Error, how: EscapeKind): void {
  const text = describeError(error);
  if (!run || run !== d.run || run.ended) {
    // A stray timer or promise of a run that is already over: the daemon's fault, but there is
    // no current run to blame for it.
    d.log.error(`${KIND_TEXT[how]} escaped an earlier run: ${text}`, {
      uncaught: how,
      stack: error.stack,
    });
    return;
  }
  const marked = new Error(`uncaught: ${text}`, { cause: error });
  marked.stack = error.stack ?? marked.stack;
  d.fail(run, marked, how === "uncaughtException" ? "uncaught exception" : "unhandled rejection");
}

function onStalled(d: DaemonSupervisor, run: Run | undefined, ms: number): void {
  const at = d.host.clock.now();
  d.stalls++;
  d.lastStall = { ms, at };
  const { maxStall } = d.spec;
  const over = maxStall !== undefined && ms > maxStall && run !== undefined && run === d.run;
  d.log.warn(
    `blocked the event loop for ${formatDuration(ms)} (stall ${d.stalls}; stallThreshold ${formatDuration(d.host.stallThreshold ?? MANAGER_DEFAULTS.stallThreshold)})`,
    { stallMs: ms },
  );
  if (!over || !run) return;
  d.fail(
    run,
    new Error(
      `blocked the event loop for ${formatDuration(ms)} (maxStall ${formatDuration(maxStall)}); CPU-bound work belongs in isolation: "worker"`,
    ),
    "stall",
  );
}
