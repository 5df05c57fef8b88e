import { relative, resolve } from "node:path";
import { type Command, Option } from "commander";
import { settingsVarName } from "../../config/env.js";
import { deferred } from "../../internal/deferred.js";
import { interruptCounter } from "../../internal/interrupts.js";
import { formatDuration } from "../../registry/duration.js";
import { stallWatchGone } from "../../supervisor/stall-watch.js";
import type { Manager } from "../../supervisor/types.js";
import { action } from "../action.js";
import { colourEnabled, painter } from "../ansi.js";
import { checkConfig, loadCliConfig, withCliDefaults } from "../config.js";
import { formatShutdownReport, formatStartReport } from "../format.js";
import { CliError, type CliIO, EXIT, println } from "../io.js";
import { createLineLogger, LOG_LEVELS } from "../log.js";
import { findRunningManager } from "../running-manager.js";
import { type SelectionFlags, selectedNames, selectionFor } from "../selection.js";
import { startInRunning } from "../start-in-running.js";
import { createStatusView, type StatusView } from "../status-view.js";

interface StartFlags extends SelectionFlags {
  config?: string;
  overrides?: string;
  url?: string;
  token?: string;
  tui: boolean;
  logLevel: string;
}

/** `ringmaster start`: runs daemons in the foreground until SIGINT/SIGTERM. */
export function startCommand(program: Command, io: CliIO): void {
  program
    .command("start")
    .description(
      "start daemons in dependency order and supervise them in the foreground until Ctrl-C; with a manager already running, start the named daemons in it",
    )
    .argument("[names...]", "daemons to start (any case); the same as --daemons")
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)")
    .option(
      "--overrides <file>",
      "YAML overrides file (over $RINGMASTER_OVERRIDES and the config's)",
    )
    .addOption(
      new Option("-p, --profile <name>", "start a profile (any case)").conflicts([
        "daemons",
        "category",
        "all",
      ]),
    )
    .addOption(
      new Option(
        "-d, --daemons <names>",
        "start these daemons, comma-separated (any case)",
      ).conflicts(["category", "all"]),
    )
    .addOption(
      new Option("--category <names>", "start every daemon of these categories").conflicts(["all"]),
    )
    .option("--all", "start every enabled daemon, including those without autoStart")
    .option("--no-tui", "plain log lines even on a terminal")
    .option("--url <url>", "start the daemons in the manager running at this address")
    .option("--token <token>", "API token of the running manager (default: $RINGMASTER_API_TOKEN)")
    .addOption(
      new Option("--log-level <level>", "least severe log level shown")
        .choices(LOG_LEVELS)
        .default("info"),
    )
    .addHelpText(
      "after",
      `
Dependencies of the chosen daemons start too, first. Without a selection every daemon with
autoStart runs. On a terminal a live status view updates in place; otherwise (or with --no-tui)
log lines go to stdout. Ctrl-C (SIGINT) or SIGTERM stops every daemon, dependents first, and
prints what stopped and how long it took; a second Ctrl-C exits at once.

When a manager already runs for this config (it answers at the config's HTTP address, or it is
recorded in the store as the node this start would be), the chosen daemons are started in it
instead, through its API: each is printed with what happened (started, already running, pulled
in as a dependency) and the command exits (1 if one did not come up). \`ringmaster start NAME\`
starts one stopped daemon that way. Without a selection it refuses: the manager runs already.

Examples:
  $ ringmaster start --config examples/training-pipeline/ringmaster.config.ts
  $ ringmaster start --profile coordinator --overrides config/unified_loop.yaml
  $ ringmaster start --daemons AUTO_SYNC,data_pipeline --no-tui
  $ ringmaster start evaluation        # in the manager already running, if there is one
  $ RINGMASTER_TRAINING_TRIGGER_THRESHOLD_GAMES=200 ringmaster start --category pipeline`,
    )
    .action(action(io, (names: string[], flags: StartFlags) => runStart(names, flags, io)));
}

/** `--daemons a,b` and positional names together; with another selection, a usage error. */
function withNames(names: readonly string[], flags: StartFlags): StartFlags {
  if (names.length === 0) return flags;
  if (flags.profile !== undefined || flags.category !== undefined || flags.all)
    throw new CliError(EXIT.usage, [
      `daemon names (${names.join(", ")}) cannot be used with --profile, --category or --all`,
    ]);
  return { ...flags, daemons: [...names, flags.daemons].filter(Boolean).join(",") };
}

async function runStart(names: string[], given: StartFlags, io: CliIO): Promise<number> {
  const flags = withNames(names, given);
  const [loaded, { createManager }] = await Promise.all([
    loadCliConfig(flags.config, io),
    import("../../manager/create-manager.js"),
  ]);
  const { file } = loaded;
  const config = withCliDefaults(loaded.config);
  const selection = selectionFor(config, flags);
  const running = await findRunningManager(config, io, {
    url: flags.url,
    token: flags.token,
    profile: selection.profile,
  });
  if (running) {
    const p = painter(colourEnabled(io.stdout, io.env));
    if (flags.overrides)
      println(
        io.stderr,
        `warning: --overrides ${flags.overrides} is not applied: the running manager keeps the config it started with`,
      );
    return startInRunning(running, selectedNames(config, selection, running), io, p);
  }
  // --overrides is the strongest choice of the overrides file: it takes the variable's place.
  const env = flags.overrides
    ? {
        ...io.env,
        [settingsVarName(config.envPrefix, "overridesFile")]: resolve(
          io.cwd ?? process.cwd(),
          flags.overrides,
        ),
      }
    : io.env;
  // Every problem, one line each, before any daemon runs.
  const { errors } = await checkConfig(config, env);
  if (errors.length > 0)
    throw new CliError(
      EXIT.failure,
      errors.map((e) => e.message),
    );

  const useTui = io.stdout.isTTY === true && flags.tui !== false;
  const p = painter(colourEnabled(io.stdout, io.env));
  let shuttingDown = false;
  let view: StatusView | undefined;
  // Until the view exists, lines it will show wait here (the manager logs while it is created).
  const early: string[] | undefined = useTui ? [] : undefined;
  const write = (line: string) => {
    if (view) view.log(line);
    else if (early && !shuttingDown) early.push(line);
    else println(io.stdout, line);
  };
  const logger = createLineLogger(flags.logLevel, p, write);
  const title = relative(io.cwd ?? process.cwd(), file) || file;
  // The CLI owns its process, so it always contains (config `contain: "shutdown"` is kept).
  const contain = config.contain === "shutdown" ? "shutdown" : true;
  const manager: Manager = createManager(config, { logger, env, contain });
  // The manager schedules restarts silently; say so, since that is what an operator looks for.
  manager.on("daemon:restart", (r) => {
    if (r.attempt > 0) {
      logger
        .child({ daemon: r.name })
        .warn(
          `restarting in ${formatDuration(r.delayMs)} (restart ${r.attempt}/${manager.status(r.name).maxRestarts})`,
        );
    }
  });
  manager.on("daemon:failed", (f) =>
    logger.child({ daemon: f.name }).error(`failed for good: ${f.error}`),
  );

  const signals = io.signals ?? process;
  const finished = deferred<number>();
  const interrupt = interruptCounter();
  const onSignal = () => {
    // The terminal's Ctrl-C relayed once more by a wrapper (npx, tsx) is not a second one.
    if (interrupt() === "duplicate") return;
    if (shuttingDown) {
      println(io.stderr, "interrupted again: exiting now without waiting for the daemons");
      io.exit(EXIT.interrupted);
      finished.resolve(EXIT.interrupted);
      return;
    }
    beginShutdown("shutting down… (press Ctrl-C again to exit at once)");
  };
  // A shutdown asked for elsewhere (`ringmaster stop`, POST /api/shutdown) ends the run the same way.
  manager.on("manager:shutdown", () => {
    if (!shuttingDown)
      beginShutdown("shutting down on request (ringmaster stop)… (press Ctrl-C to exit at once)");
  });
  const beginShutdown = (line: string) => {
    shuttingDown = true;
    view?.stop();
    view = undefined;
    println(io.stdout, line);
    manager.shutdown().then(
      (report) => {
        for (const line of formatShutdownReport(report, p)) println(io.stdout, line);
        finished.resolve(report.unstopped.length === 0 && !report.cause ? EXIT.ok : EXIT.failure);
      },
      (error: unknown) => {
        println(
          io.stderr,
          `error: shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        finished.resolve(EXIT.failure);
      },
    );
  };
  signals.on("SIGINT", onSignal);
  signals.on("SIGTERM", onSignal);
  if (useTui) {
    view = createStatusView({
      out: io.stdout,
      manager,
      painter: p,
      title,
      selection: selection.label,
      isShuttingDown: () => shuttingDown,
    });
    for (const line of early?.splice(0) ?? []) view.log(line);
  }
  try {
    view?.start();
    let report: Awaited<ReturnType<Manager["start"]>>;
    try {
      report = await manager.start(selection);
    } catch (error) {
      if (!shuttingDown) {
        shuttingDown = true;
        await manager.shutdown();
      }
      throw error;
    }
    if (!shuttingDown) {
      const line = `ringmaster: ${formatStartReport(report)}${manager.url ? `; dashboard ${manager.url}` : ""}`;
      write(report.failed.length > 0 ? p.red(line) : p.green(line));
      if (!view) println(io.stdout, p.gray("press Ctrl-C to stop"));
    }
    const code = await finished.promise;
    // The process exits next: the stall watch's worker must have closed its inspector session.
    await stallWatchGone();
    return code;
  } finally {
    signals.off("SIGINT", onSignal);
    signals.off("SIGTERM", onSignal);
    view?.stop();
  }
}
