import { type Command, Option } from "commander";
import type { RingmasterClient } from "../../http/client.js";
import type { LogLevel } from "../../registry/types.js";
import { LOG_LEVEL_NUMBERS } from "../../store/types.js";
import { action } from "../action.js";
import { colourEnabled, type Painter, painter } from "../ansi.js";
import { CliError, type CliIO, EXIT, println } from "../io.js";
import { logLine } from "../lines.js";
import { positiveInt, sinceMs, sinceOption } from "../options.js";
import {
  fallbackNotice,
  openRecordedStore,
  type Remote,
  type RemoteFlags,
  remoteOptions,
  resolveRemote,
  unreachableLines,
} from "../remote.js";
import { canonicalIn } from "../selection.js";
import { untilInterrupted } from "../wait.js";

/** Lines shown before following, and by default. */
export const DEFAULT_LOG_LIMIT = 100;

interface LogsFlags extends RemoteFlags {
  follow?: boolean;
  level?: LogLevel;
  since?: string;
  limit: number;
  json?: boolean;
}

interface Line {
  at: number;
  level: LogLevel;
  daemon: string;
  message: string;
  fields?: Record<string, unknown> | null;
}

/** `ringmaster logs <name>`: a daemon's recent log lines, and with `-f` the new ones as they come. */
export function logsCommand(program: Command, io: CliIO): void {
  remoteOptions(
    program
      .command("logs")
      .description("print a daemon's recent log lines; -f follows new ones")
      .argument("<name>", "daemon name (any case)"),
  )
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .addOption(
      new Option("--level <level>", "least severe level shown").choices([
        "debug",
        "info",
        "warn",
        "error",
      ]),
    )
    .option("--since <when>", 'only lines since then: "10m", an ISO date, or epoch ms', sinceOption)
    .option(
      "-n, --limit <n>",
      `at most this many recent lines (default ${DEFAULT_LOG_LIMIT})`,
      positiveInt(10_000),
      DEFAULT_LOG_LIMIT,
    )
    .option("--json", "one JSON object a line")
    .addHelpText(
      "after",
      `
Each line is: time level daemon message {fields}. With no manager running the lines come from the
store, and the first line says so (-f needs a running manager).

Examples:
  $ ringmaster logs auto_sync
  2026-01-01T12:00:01.250Z INFO  auto_sync synced 120 games {"pending":0}
  $ ringmaster logs EVALUATION --level warn --since 1h
  $ ringmaster logs auto_sync -f`,
    )
    .action(
      action(io, async (name: string, flags: LogsFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.tryConnect();
        const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
        const print = (line: Line) =>
          println(io.stdout, flags.json ? JSON.stringify(line) : logLine(line, p));
        if (!client) {
          if (flags.follow)
            throw new CliError(EXIT.unreachable, [
              ...unreachableLines(remote),
              "--follow needs a running manager",
            ]);
          return recordedLogs(remote, name, flags, io, p, print);
        }
        const history = await client.logs(name, {
          ...(flags.level ? { level: flags.level } : {}),
          ...(flags.since !== undefined ? { since: flags.since } : {}),
          limit: flags.limit,
        });
        for (const entry of history) print(entry);
        if (!flags.follow) return EXIT.ok;
        return follow(io, client, name, flags, history, print);
      }),
    );
}

/**
 * Prints new lines from the live stream until Ctrl-C. The stream is replayed from the start of
 * the manager's buffer, and lines already printed (by time, then message) are skipped, so none is
 * lost between the history and the stream.
 */
async function follow(
  io: CliIO,
  client: RingmasterClient,
  name: string,
  flags: LogsFlags,
  history: readonly Line[],
  print: (line: Line) => void,
): Promise<number> {
  const min = flags.level ? LOG_LEVEL_NUMBERS[flags.level] : 0;
  let lastAt = history.at(-1)?.at ?? (flags.since !== undefined ? (sinceMs(flags.since) ?? 0) : 0);
  let atLast = new Set(history.filter((l) => l.at === lastAt).map((l) => l.message));
  return untilInterrupted(io, async (signal) => {
    for await (const message of client.stream({
      types: ["log"],
      daemon: name,
      lastEventId: 0,
      reconnect: true,
      signal,
    })) {
      if (message.type !== "log") continue;
      const d = message.data as {
        name: string;
        level: LogLevel;
        message: string;
        fields: Record<string, unknown>;
        at: number;
      };
      if ((LOG_LEVEL_NUMBERS[d.level] ?? 0) < min) continue;
      if (d.at < lastAt || (d.at === lastAt && atLast.has(d.message))) continue;
      if (d.at > lastAt) {
        lastAt = d.at;
        atLast = new Set();
      }
      atLast.add(d.message);
      print({ at: d.at, level: d.level, daemon: d.name, message: d.message, fields: d.fields });
    }
    return EXIT.ok;
  });
}

async function recordedLogs(
  remote: Remote,
  name: string,
  flags: LogsFlags,
  io: CliIO,
  p: Painter,
  print: (line: Line) => void,
): Promise<number> {
  const store = await openRecordedStore(remote);
  try {
    const known = [
      ...new Set([
        ...(remote.config?.daemons.map((d) => d.name) ?? []),
        ...(await store.loadDaemons()).map((r) => r.name),
      ]),
    ];
    const daemon = known.length > 0 ? canonicalIn(known, name) : name;
    const since = sinceMs(flags.since);
    const rows = await store.queryLogs({
      daemon,
      limit: flags.limit,
      order: "desc",
      ...(flags.level ? { level: flags.level } : {}),
      ...(since !== undefined ? { since } : {}),
    });
    println(flags.json ? io.stderr : io.stdout, p.yellow(fallbackNotice(remote)));
    for (const row of rows.reverse())
      print({
        at: row.time,
        level: row.level,
        daemon: row.daemon,
        message: row.message,
        fields: row.fields,
      });
    return EXIT.ok;
  } finally {
    await store.close().catch(() => {});
  }
}
