import { coerceError } from "../internal/errors.js";

/** An error reporter that never throws into the cluster's timers (the reporter's error is its own). */
export function reporter(onError: ((error: Error) => void) | undefined): (thrown: unknown) => void {
  return (thrown) => {
    try {
      onError?.(coerceError(thrown));
    } catch {
      // Swallowed: a failing reporter must not stop renewals or heartbeats.
    }
  };
}
