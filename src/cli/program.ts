import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { dlqCommand } from "./commands/dlq.js";
import { graphCommand } from "./commands/graph.js";
import { jobsCommand } from "./commands/jobs.js";
import { listCommand } from "./commands/list.js";
import { logsCommand } from "./commands/logs.js";
import { nodesCommand } from "./commands/nodes.js";
import { pauseCommand } from "./commands/pause.js";
import { restartCommand } from "./commands/restart.js";
import { resumeCommand } from "./commands/resume.js";
import { startCommand } from "./commands/start.js";
import { statusCommand } from "./commands/status.js";
import { stopCommand } from "./commands/stop.js";
import { validateCommand } from "./commands/validate.js";
import { type CliIO, EXIT } from "./io.js";

/** Each command registers itself on the program: one line per command. */
const COMMANDS: ReadonlyArray<(program: Command, io: CliIO) => void> = [
  startCommand,
  statusCommand,
  stopCommand,
  restartCommand,
  pauseCommand,
  resumeCommand,
  logsCommand,
  jobsCommand,
  dlqCommand,
  nodesCommand,
  validateCommand,
  graphCommand,
  listCommand,
];

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/**
 * The `ringmaster` command line. Everything it touches comes through `io`, so tests run it
 * in-process. Commands end by calling `io.exit(code)` (see `EXIT`); usage errors (unknown option,
 * bad choice, missing argument) exit 2.
 */
export function buildProgram(io: CliIO): Command {
  const program = new Command("ringmaster")
    .description(
      "A daemon manager: start daemons in dependency order, restart them with backoff, route their events, stop them cleanly.",
    )
    .version(version, "-V, --version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(add --help for usage)")
    .showSuggestionAfterError(true);
  for (const register of COMMANDS) register(program, io);
  program.addHelpText(
    "after",
    `
Daemon, profile and category names are accepted in any case (AUTO_SYNC = auto_sync).
Commands that talk to a running manager find it from --url, $RINGMASTER_URL, then the config's
http host and port; status, logs, jobs, dlq list and nodes show the store's last recorded state
when none answers. Exit codes: 0 ok, 1 failure or config errors, 2 usage, 3 no manager reachable.

Examples:
  $ ringmaster start --config examples/training-pipeline/ringmaster.config.ts --profile coordinator
  $ ringmaster status
  $ ringmaster restart AUTO_SYNC
  $ ringmaster logs auto_sync -f
  $ ringmaster stop
  $ ringmaster validate
  $ ringmaster graph --format mermaid
  $ ringmaster list --category sync`,
  );
  return program;
}

/**
 * Parses `argv` (without the node and script paths) and runs the command; resolves with the exit
 * code it passed to `io.exit` (the first one, if several).
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let code: number | undefined;
  const tracked: CliIO = {
    ...io,
    exit: (c) => {
      if (code === undefined) code = c;
      io.exit(c);
    },
  };
  try {
    await buildProgram(tracked).parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const shown = error.code === "commander.helpDisplayed" || error.code === "commander.version";
    tracked.exit(shown ? EXIT.ok : EXIT.usage);
  }
  if (code === undefined) tracked.exit(EXIT.ok);
  return code ?? EXIT.ok;
}
