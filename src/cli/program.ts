import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { type CliIO, EXIT } from "./io.js";

type Register = (program: Command, io: CliIO) => void;

/**
 * Each command registers itself on the program: one line per command, its module loaded only when
 * it runs (a status call need not load the manager, the store or the config layer).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  start: () => import("./commands/start.js").then((m) => m.startCommand),
  status: () => import("./commands/status.js").then((m) => m.statusCommand),
  stop: () => import("./commands/stop.js").then((m) => m.stopCommand),
  restart: () => import("./commands/restart.js").then((m) => m.restartCommand),
  pause: () => import("./commands/pause.js").then((m) => m.pauseCommand),
  resume: () => import("./commands/resume.js").then((m) => m.resumeCommand),
  logs: () => import("./commands/logs.js").then((m) => m.logsCommand),
  jobs: () => import("./commands/jobs.js").then((m) => m.jobsCommand),
  dlq: () => import("./commands/dlq.js").then((m) => m.dlqCommand),
  nodes: () => import("./commands/nodes.js").then((m) => m.nodesCommand),
  validate: () => import("./commands/validate.js").then((m) => m.validateCommand),
  graph: () => import("./commands/graph.js").then((m) => m.graphCommand),
  list: () => import("./commands/list.js").then((m) => m.listCommand),
};

/**
 * The commands `argv` needs: the one it names, or every one (for help, a typo's suggestion, or no
 * command at all).
 */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const first = argv[0];
  const names =
    first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
  return Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Register>)()));
}

const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

/**
 * The `ringmaster` command line. Everything it touches comes through `io`, so tests run it
 * in-process. Commands end by calling `io.exit(code)` (see `EXIT`); usage errors (unknown option,
 * bad choice, missing argument) exit 2.
 */
export function buildProgram(io: CliIO, commands: readonly Register[]): Command {
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
  for (const register of commands) register(program, io);
  program.addHelpText(
    "after",
    `
Daemon, profile and category names are accepted in any case (AUTO_SYNC = auto_sync).
Commands that talk to a running manager find it from --url, $RINGMASTER_URL, the store's node
record, then the config's http address (the config is loaded only then) or, without a config,
127.0.0.1:8790; status, logs, jobs, dlq list and nodes show the store's last recorded state
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
    const program = buildProgram(tracked, await commandsFor(argv));
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const shown = error.code === "commander.helpDisplayed" || error.code === "commander.version";
    tracked.exit(shown ? EXIT.ok : EXIT.usage);
  }
  if (code === undefined) tracked.exit(EXIT.ok);
  return code ?? EXIT.ok;
}
