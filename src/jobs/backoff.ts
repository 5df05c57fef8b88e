import { backoffDelay } from "../internal/backoff.js";
import type { JobSpec } from "../registry/types.js";

/**
 * The delay before retry `attempt + 1` after attempt `attempt` failed:
 * min(initialDelay × factor^(attempt-1), maxDelay). With the defaults (1 s, ×2, 1 min) the retries
 * wait 1 s, 2 s, 4 s, 8 s, … up to a minute; `maxAttempts: 3` gives two retries, after 1 s and 2 s.
 */
export function retryDelay(backoff: JobSpec["backoff"], attempt: number): number {
  return backoffDelay(backoff, Math.max(1, attempt));
}
