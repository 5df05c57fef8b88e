import type { Clock } from "./clock.js";

/** The reason given to a promise that was cut short by its AbortSignal. */
export class AbortedError extends Error {
  override name = "AbortedError";
  constructor(message = "aborted") {
    super(message);
  }
}

/**
 * An {@link AbortedError} without a captured stack, for the abort reason of every run that ends:
 * its stack would show only the supervisor, and capturing one was ~5% of a restart's CPU.
 */
export function abortReason(message: string): AbortedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AbortedError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Waits `ms` on `clock`; rejects with {@link AbortedError} as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(new AbortedError());
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Races `work` against a timeout on `clock`. Resolves `{ ok: true, value }` or
 * `{ ok: false, reason: "timeout" }`; a rejection of `work` propagates.
 */
export function withTimeout<T>(
  clock: Clock,
  work: Promise<T>,
  ms: number | undefined,
): Promise<{ ok: true; value: T } | { ok: false; reason: "timeout" }> {
  if (ms === undefined || !Number.isFinite(ms))
    return work.then((value) => ({ ok: true as const, value }));
  // One promise and one reaction, not a race of three: every start and stop of a daemon passes
  // here several times, and each promise made costs the async-context hooks too.
  return new Promise((resolve, reject) => {
    const handle = clock.setTimeout(() => resolve({ ok: false, reason: "timeout" }), ms);
    work.then(
      (value) => {
        clock.clearTimeout(handle);
        resolve({ ok: true, value });
      },
      (error: unknown) => {
        clock.clearTimeout(handle);
        reject(error);
      },
    );
  });
}
