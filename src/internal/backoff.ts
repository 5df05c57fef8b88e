/** An exponential backoff: the first delay, the factor between delays, and a cap (ms). */
export interface Backoff {
  initialDelay: number;
  factor: number;
  maxDelay: number;
}

/**
 * The delay before try number `n` + 1 after `n` failures (n ≥ 1):
 * min(initialDelay × factor^(n−1), maxDelay). Restarts, job retries and durable writes all use it.
 */
export function backoffDelay(backoff: Backoff, n: number): number {
  // A zero first delay stays zero: past ~1,024 tries factor^n overflows to Infinity, and
  // 0 × Infinity would be NaN (a 1 ms timer, and "NaN" in messages).
  if (backoff.initialDelay <= 0) return 0;
  return Math.min(backoff.initialDelay * backoff.factor ** Math.max(0, n - 1), backoff.maxDelay);
}
