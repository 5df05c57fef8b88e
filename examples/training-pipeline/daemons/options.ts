import type { Random } from "../random.js";

/** What every daemon factory of the fleet receives. */
export interface FleetOptions {
  /** Every simulated outcome draws from here; pass `seededRandom(n)` for a repeatable run. */
  random: Random;
}

/** Clamps `value` to [min, max]. */
export const clamp = (value: number, min: number, max: number) =>
  Math.min(max, Math.max(min, value));

/** `0.5432` → `"54.3%"`. */
export const percent = (fraction: number) => `${(fraction * 100).toFixed(1)}%`;

/**
 * Health checks every 5 s instead of the default 30 s, so the live status view shows each
 * daemon's health soon after it starts (the demo runs at demo speed).
 */
export const DEMO_HEALTH_INTERVAL = "5s";
