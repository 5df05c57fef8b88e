import type { DaemonLogger, JobContext } from "../registry/types.js";
import { GUEST_DEFAULTS, GuestSession, type GuestSpawner } from "./host.js";
import type { GuestOptions } from "./types.js";

/** How long a finished job's guest gets to leave before it is forced. */
const LEAVE_GRACE = 1_000;

/**
 * Runs one attempt of a job off the main thread: a fresh guest loads the module, finds the job
 * spec of `type` and runs `run(payload, ctx)` with a bridged `ctx` (log, progress, signal).
 * Resolves with its result, or rejects with its error or a `GuestExitError` ("exit code 1",
 * "memory limit", …). When `ctx.signal` aborts (cancel, timeout) the guest's signal aborts too;
 * a handler that has not settled `killTimeout` later is ended by force (worker `terminate()`,
 * process group SIGTERM → SIGKILL). No guest outlives its attempt.
 */
export async function runJobInGuest(
  options: GuestOptions,
  spawn: GuestSpawner,
  type: string,
  payload: unknown,
  ctx: JobContext,
): Promise<unknown> {
  const log: DaemonLogger = ctx.log;
  const session = new GuestSession(spawn(options, log), options);
  session.bridge
    .on("log", (a: { level: keyof DaemonLogger; message: string; fields?: object }) =>
      log[a.level](a.message, a.fields as Record<string, unknown>),
    )
    .on("progress", (a: { percent: number; message?: string }) =>
      ctx.progress(a.percent, a.message),
    );
  const grace = options.killTimeout ?? GUEST_DEFAULTS.killTimeout;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    timer = setTimeout(() => void session.stop(0), grace);
  };
  try {
    await session.load({ target: "job", name: type });
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
    return await session.bridge.request(
      "job",
      { payload, id: ctx.id, attempt: ctx.attempt },
      ctx.signal,
    );
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    clearTimeout(timer);
    await session.stop(LEAVE_GRACE);
  }
}
