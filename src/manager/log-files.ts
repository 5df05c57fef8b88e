import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { createStream, type RotatingFileStream } from "rotating-file-stream";
import type { LogFilesOptions, LogLevel } from "../registry/types.js";

/** One line of a daemon's log, as the daemon logger hands it on. */
export interface LogFileEntry {
  at: number;
  daemon: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

/**
 * Per-daemon log files (config `logFiles`): each daemon's lines go to `<dir>/<name>.log`, one
 * line per entry (`2026-12-01T11:02:48.173Z INFO  synced {"files":3}`), so `tail -f` reads them.
 * A file that reaches `maxSize` is renamed `<name>.log.1` (older ones move up to `.maxFiles`,
 * the oldest is deleted) and a new one begun — rotating-file-stream's logrotate mode.
 *
 * Writes never throw into the daemon: a file that cannot be written is reported once on the
 * manager's logger and opened afresh on the next line. After `close()` lines are dropped.
 */
export interface LogFiles {
  /** The directory, absolute. */
  readonly dir: string;
  /** Creates the directory; throws an Error naming it when it cannot. */
  open(): void;
  write(entry: LogFileEntry): void;
  /** Ends every file; resolves once its lines are written (the lifecycle bounds the wait). */
  close(): Promise<void>;
}

/** `2026-12-01T11:02:48.173Z INFO  message {"key":"value"}`: one line, whatever the message holds. */
export function formatLogFileLine(entry: LogFileEntry): string {
  const message = entry.message.replace(/\r?\n/g, "\\n");
  let fields = "";
  if (Object.keys(entry.fields).length > 0) {
    try {
      fields = ` ${JSON.stringify(entry.fields)}`;
    } catch {
      fields = " [fields not serializable]";
    }
  }
  return `${new Date(entry.at).toISOString()} ${entry.level.toUpperCase().padEnd(5)} ${message}${fields}\n`;
}

export function createLogFiles(
  options: LogFilesOptions,
  deps: { logger: Logger; cwd?: string },
): LogFiles {
  const dir = resolve(deps.cwd ?? process.cwd(), options.dir);
  const streams = new Map<string, RotatingFileStream>();
  let opened = false;
  let closed = false;

  const open = () => {
    if (opened) return;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new Error(
        `config option logFiles: cannot create the log directory ${dir}: ${(error as Error).message}`,
      );
    }
    opened = true;
  };

  const streamFor = (daemon: string): RotatingFileStream => {
    const existing = streams.get(daemon);
    if (existing) return existing;
    const file = `${daemon}.log`;
    const stream = createStream(
      (index: number | Date | null) => (index ? `${file}.${index}` : file),
      {
        path: `${dir}/`,
        size: `${options.maxSize}B`,
        rotate: options.maxFiles,
      },
    );
    stream.on("error", (error: Error) => {
      if (streams.get(daemon) === stream) streams.delete(daemon);
      deps.logger.warn(
        { err: error },
        `writing ${join(dir, file)} failed; its lines go to the store only until it opens again`,
      );
    });
    streams.set(daemon, stream);
    return stream;
  };

  return {
    dir,
    open,
    write(entry) {
      if (closed) return;
      try {
        open();
        streamFor(entry.daemon).write(formatLogFileLine(entry));
      } catch {
        // A log file must never break a daemon; the store still has the line.
      }
    },
    async close() {
      closed = true;
      const ending = [...streams.values()].map(
        (stream) =>
          new Promise<void>((done) => {
            if (stream.destroyed || stream.writableFinished) return done();
            stream.once("finish", () => done());
            stream.once("error", () => done());
            stream.end();
          }),
      );
      streams.clear();
      await Promise.all(ending);
    },
  };
}
