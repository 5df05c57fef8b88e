import pino, { type Logger } from "pino";
import pretty from "pino-pretty";
import { redactFields } from "../registry/secret.js";
import type { DaemonLogger, LogLevel } from "../registry/types.js";

/**
 * The manager's default logger: pretty and colourful on a terminal, one JSON object a line
 * otherwise (for log shippers). `false` gives a silent logger.
 */
export function createBaseLogger(option: Logger | false | undefined, level = "info"): Logger {
  if (option === false) return pino({ level: "silent" });
  if (option) return option;
  if (process.stdout.isTTY) {
    // pino-pretty in the main thread (no worker), so lines appear in order with the status view.
    return pino({ level }, pinoPrettyStream());
  }
  return pino({ level });
}

function pinoPrettyStream(): NodeJS.WritableStream {
  return pretty({
    colorize: true,
    sync: true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname",
  });
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * A daemon's `ctx.log`: writes to the manager's pino logger with `{ daemon }` bound, and hands
 * each line to `sink` (the live stream, the store's batching writer). Fields whose key looks
 * secret are shown as "[redacted]". Never throws.
 */
export function createDaemonLogger(
  base: Logger,
  daemon: string,
  sink: (level: LogLevel, message: string, fields: Record<string, unknown>) => void,
): DaemonLogger {
  const child = base.child({ daemon });
  const log = {} as DaemonLogger;
  for (const level of LEVELS) {
    log[level] = (message: string, fields?: Record<string, unknown>) => {
      try {
        // Secret-looking fields are redacted before the log, the store and the live stream.
        const f = fields ? redactFields(fields) : {};
        if (fields) child[level](f, message);
        else child[level](message);
        sink(level, String(message), f);
      } catch {
        // logging must never break a daemon
      }
    };
  }
  return log;
}
