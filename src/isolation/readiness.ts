import type { Clock, TimerHandle } from "../internal/clock.js";
import { deferred } from "../internal/deferred.js";
import { AbortedError } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { HealthResult } from "../registry/types.js";
import type { Program } from "./command.js";
import { COMMAND_DEFAULTS } from "./command-defaults.js";
import { type CommandReadiness, exitFailure, type ProgramExit } from "./command-types.js";

export interface ReadyWait {
  program: Program;
  ready: CommandReadiness;
  clock: Clock;
  /** Gives up (rejecting with `AbortedError`) when it aborts: the daemon is being stopped. */
  signal?: AbortSignal | undefined;
  /** ms; gives up with "not ready within …". Omitted: the caller bounds the wait. */
  timeout?: number | undefined;
  /** Registers a listener for the program's output lines; returns its removal. */
  onLine(listener: (line: string) => void): () => void;
}

/**
 * Resolves once the program is ready by `ready` (see {@link CommandReadiness}); rejects when it
 * exits first (`exited before it was ready: exit code 1`), when `timeout` passes
 * (`not ready within 30s`) or when `signal` aborts. Never leaves a timer or listener behind.
 */
export function waitReady(wait: ReadyWait): Promise<void> {
  const { program, ready, clock, signal } = wait;
  const outcome = deferred<void>();
  const cleanups: Array<() => void> = [];
  const settle = (error?: Error) => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    if (error) outcome.reject(error);
    else outcome.resolve();
  };

  if (signal?.aborted) return Promise.reject(new AbortedError());
  const onAbort = () => settle(new AbortedError());
  signal?.addEventListener("abort", onAbort, { once: true });
  cleanups.push(() => signal?.removeEventListener("abort", onAbort));

  program.exited.then((exit) => settle(new Error(`exited before it was ready: ${describe(exit)}`)));

  if (wait.timeout !== undefined) {
    const timeout = wait.timeout;
    const timer = clock.setTimeout(
      () => settle(new Error(`not ready within ${formatDuration(timeout)}`)),
      timeout,
    );
    cleanups.push(() => clock.clearTimeout(timer));
  }

  if (ready === "spawn") {
    if (program.pid !== undefined) settle();
  } else if ("line" in ready) {
    const pattern = ready.line;
    cleanups.push(
      wait.onLine((line) => {
        pattern.lastIndex = 0; // a /g or /y pattern keeps state between tests
        if (pattern.test(line)) settle();
      }),
    );
  } else {
    pollHttp(ready.http, clock, outcome, cleanups, settle);
  }
  return outcome.promise;
}

function describe(exit: ProgramExit): string {
  return exitFailure(exit) ?? "exit code 0";
}

/** Tries `url` until it answers 2xx or the wait is settled otherwise. */
function pollHttp(
  url: string,
  clock: Clock,
  outcome: { settled: boolean },
  cleanups: Array<() => void>,
  settle: () => void,
): void {
  let timer: TimerHandle | undefined;
  const attempt = async () => {
    timer = undefined;
    const answer = await probe(url, COMMAND_DEFAULTS.readyProbeTimeout);
    if (outcome.settled) return;
    if (answer.ok) settle();
    else timer = clock.setTimeout(() => void attempt(), COMMAND_DEFAULTS.readyPollInterval);
  };
  cleanups.push(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
  void attempt();
}

/** One GET of `url`: whether it answered 2xx, and what it said otherwise. */
async function probe(url: string, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ok: response.ok, message: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const name = (error as Error).name;
    if (name === "TimeoutError") return { ok: false, message: `no answer within ${timeoutMs}ms` };
    return { ok: false, message: cause?.code ?? (error as Error).message };
  }
}

/** The `health: { http: url }` check: 2xx within `timeoutMs` is healthy, anything else unhealthy. */
export async function httpHealth(url: string, timeoutMs: number): Promise<HealthResult> {
  const answer = await probe(url, timeoutMs);
  return {
    status: answer.ok ? "healthy" : "unhealthy",
    message: `GET ${url}: ${answer.message}`,
    details: { url },
  };
}
