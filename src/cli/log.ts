import pino, { type Logger } from "pino";
import type { Painter } from "./ansi.js";

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Fields pino adds that a person does not need on every line. */
const SKIP = new Set(["level", "time", "msg", "pid", "hostname", "daemon", "err", "stack"]);

function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * One pino record as one readable line: `12:00:01.250 INFO  [auto_sync] synced 120 games pending=0`.
 * Errors add their message; other fields follow as `key=value`.
 */
export function formatLogRecord(record: Record<string, unknown>, p: Painter): string {
  const level = typeof record.level === "number" ? record.level : 30;
  const name = LEVEL_NAMES[level] ?? String(level);
  const paintLevel = level >= 50 ? p.red : level >= 40 ? p.yellow : level >= 30 ? p.green : p.gray;
  const time = typeof record.time === "number" ? clockTime(record.time) : "";
  const daemon = typeof record.daemon === "string" ? `${p.cyan(`[${record.daemon}]`)} ` : "";
  const err = record.err as { message?: string } | undefined;
  const fields = Object.entries(record)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => p.gray(`${key}=${fieldText(value)}`));
  const message = `${String(record.msg ?? "")}${err?.message ? `: ${err.message}` : ""}`;
  return [`${p.gray(time)} ${paintLevel(name.padEnd(5))} ${daemon}${message}`, ...fields].join(" ");
}

/**
 * A pino logger that formats each record with {@link formatLogRecord} and hands the line to
 * `sink` (stdout, or the live view's log tail). Synchronous, so lines keep their order.
 */
export function createLineLogger(level: string, p: Painter, sink: (line: string) => void): Logger {
  const stream = {
    write(chunk: string) {
      for (const text of chunk.split("\n")) {
        if (!text) continue;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(text);
        } catch {
          sink(text);
          continue;
        }
        sink(formatLogRecord(record, p));
      }
    },
  };
  return pino({ level, base: undefined }, stream);
}
