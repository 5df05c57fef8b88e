import type { Command } from "commander";
import { ApiError } from "../http/client.js";
import type { DaemonStatus } from "../supervisor/types.js";
import { action, apiErrorLines } from "./action.js";
import { colourEnabled, type Painter, painter } from "./ansi.js";
import { type CliIO, EXIT, println } from "./io.js";
import { statusLine } from "./lines.js";
import { type RemoteFlags, remoteOptions, resolveRemote } from "./remote.js";

/**
 * Applies `act` to each named daemon in turn, printing its new state in the seed form
 * (`auto_sync: RUNNING (healthy)`), or the manager's refusal as one `error:` line (unknown name
 * with a suggestion, a state that does not allow it). Exit 1 if any was refused.
 */
export async function eachDaemon(
  io: CliIO,
  names: readonly string[],
  p: Painter,
  act: (name: string) => Promise<DaemonStatus>,
  /** Lines to print under the daemon's new state (what else the action changed). */
  notes?: (status: DaemonStatus) => Promise<string[]>,
): Promise<number> {
  let code: number = EXIT.ok;
  for (const name of names) {
    try {
      const status = await act(name);
      println(io.stdout, statusLine(status, Date.now(), p));
      for (const line of (await notes?.(status)) ?? []) println(io.stdout, line);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      for (const line of apiErrorLines(error)) println(io.stderr, `error: ${line}`);
      code = EXIT.failure;
    }
  }
  return code;
}

/** A command that applies one daemon action of the API to the named daemons. */
export function daemonActionCommand(
  program: Command,
  io: CliIO,
  o: {
    name: "restart" | "pause" | "resume";
    description: string;
    help: string;
    act: "restart" | "pause" | "resume";
    /** `<name>` for one daemon, `<names...>` for several. */
    argument: string;
  },
): void {
  remoteOptions(
    program
      .command(o.name)
      .description(o.description)
      .argument(o.argument, "daemon name (any case)"),
  )
    .addHelpText("after", o.help)
    .action(
      action(io, async (names: string | string[], flags: RemoteFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.connect();
        const p = painter(colourEnabled(io.stdout, io.env));
        const list = Array.isArray(names) ? names : [names];
        return eachDaemon(io, list, p, (name) => client[o.act](name));
      }),
    );
}
