/** `83_000` → `"1m 23s"`; under a second → `"0s"`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A duration in ms as its spec would say it: `3000` → `"3s"`, `1500` → `"1.5s"`, `250` → `"250ms"`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms}ms`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${+(ms / 1000).toFixed(2)}s`;
}

/** `"12s ago"`, `"in 4s"`. */
export function relative(at: number, now: number): string {
  const d = now - at;
  if (Math.abs(d) < 1000) return "just now";
  return d > 0 ? `${formatDuration(d)} ago` : `in ${formatDuration(-d)}`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "medium",
});

/** Wall-clock time of day, for log lines and transitions. */
export function clock(at: number): string {
  return timeFormat.format(at);
}

/** Full date and time, for tooltips. */
export function fullTime(at: number): string {
  return dateTimeFormat.format(at);
}

/** A config or payload value on one line. */
export function show(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

const EPOCH_MS = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) };
const TIME_KEY = /(at|time|timestamp|since|until|when)$/i;

/**
 * A health or heartbeat detail as people read it: a number that is a moment (epoch milliseconds,
 * or epoch seconds under a key like `lastSyncAt`) becomes its date and time and how long ago; the
 * rest as {@link show}.
 */
export function showDetail(key: string, value: unknown, now: number = Date.now()): string {
  if (typeof value === "number" && Number.isFinite(value)) {
    const ms =
      value >= EPOCH_MS.from && value < EPOCH_MS.to
        ? value
        : TIME_KEY.test(key) && value * 1000 >= EPOCH_MS.from && value * 1000 < EPOCH_MS.to
          ? value * 1000
          : undefined;
    if (ms !== undefined) return `${fullTime(ms)} (${relative(ms, now)})`;
  }
  return show(value);
}
