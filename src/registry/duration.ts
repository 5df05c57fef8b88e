/**
 * Durations: the unit constants (`SECOND`, `MINUTE`, …), parsing `"500ms"` / `"60s"` / `"5m"` into
 * milliseconds and formatting milliseconds for people.
 */
import type { Duration } from "./types.js";

export const MILLISECOND = 1;
export const SECOND = 1000 * MILLISECOND;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

const UNITS: Record<string, number> = {
  ms: MILLISECOND,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
  d: 24 * HOUR,
};
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Parses a {@link Duration} into milliseconds: numbers are milliseconds, strings carry a unit
 * (`"500ms"`, `"60s"`, `"5m"`, `"1h"`, `"1d"`). Throws a `TypeError` that names `what` on bad input.
 */
export function parseDuration(value: Duration, what: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${what}: expected a duration of 0 ms or more, found ${value}`);
    }
    return value;
  }
  if (typeof value === "string") {
    const match = PATTERN.exec(value);
    if (match) return Number(match[1]) * (UNITS[match[2] as string] as number);
  }
  throw new TypeError(
    `${what}: expected a duration such as 500 (ms), "500ms", "60s", "5m" or "1h", found ${JSON.stringify(value)}`,
  );
}

/** Formats milliseconds for people: `750ms`, `4s`, `2m 5s`, `1h 3m`. */
export function formatDuration(ms: number): string {
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  if (ms < MINUTE) {
    const s = ms / SECOND;
    if (s >= 10) return `${Math.round(s)}s`;
    return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  }
  if (ms < HOUR) {
    const m = Math.floor(ms / MINUTE);
    const s = Math.round((ms % MINUTE) / SECOND);
    return s ? `${m}m ${s}s` : `${m}m`;
  }
  const h = Math.floor(ms / HOUR);
  const m = Math.round((ms % HOUR) / MINUTE);
  return m ? `${h}h ${m}m` : `${h}h`;
}

/**
 * A `since` as operators write it, as epoch milliseconds: epoch milliseconds themselves, a
 * duration ago (`"10m"`, `"2h"`), or an ISO date; undefined when it is none of them. The CLI's
 * `--since` and the API's `?since=` both read it so.
 */
export function sinceAt(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  try {
    return now - parseDuration(trimmed, "since");
  } catch {}
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : date;
}
