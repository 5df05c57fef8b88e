import { backoffDelay } from "../internal/backoff.js";
import type { RestartPolicy } from "../registry/types.js";

/**
 * The delay before automatic restart number `attempt` (1-based):
 * `min(initialDelay × factor^(attempt-1), maxDelay)`, with optional jitter that never exceeds
 * `maxDelay`. With the defaults: 1 s, 2 s, 4 s, 8 s, 16 s — and the failure after restart 5
 * (the sixth attempt) makes the daemon `failed`.
 */
export function restartDelay(
  policy: RestartPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = backoffDelay(policy, attempt);
  if (!policy.jitter) return base;
  const spread = base * policy.jitter;
  return Math.min(policy.maxDelay, Math.max(0, base - spread + random() * 2 * spread));
}

/** Whether a failure may be followed by restart number `attempt`, or the daemon is `failed`. */
export function mayRestart(policy: RestartPolicy, attempt: number): boolean {
  return policy.policy !== "never" && attempt <= policy.maxRestarts;
}
