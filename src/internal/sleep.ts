import type { Clock } from "./clock.js";

/** The reason given to a promise that was cut short by its AbortSignal. */
export class AbortedError extends Error {
  override name = "AbortedError";
  constructor(message = "aborted") {
    super(message);
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
export async function withTimeout<T>(
  clock: Clock,
  work: Promise<T>,
  ms: number | undefined,
): Promise<{ ok: true; value: T } | { ok: false; reason: "timeout" }> {
  if (ms === undefined || !Number.isFinite(ms)) return { ok: true, value: await work };
  let handle: ReturnType<Clock["setTimeout"]> | undefined;
  const timeout = new Promise<{ ok: false; reason: "timeout" }>((resolve) => {
    handle = clock.setTimeout(() => resolve({ ok: false, reason: "timeout" }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ ok: true as const, value })), timeout]);
  } finally {
    if (handle) clock.clearTimeout(handle);
  }
}
