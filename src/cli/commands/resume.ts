import type { Command } from "commander";
import { daemonActionCommand } from "../daemon-actions.js";
import type { CliIO } from "../io.js";

/** `ringmaster resume <names…>`: resumes paused daemons. */
export function resumeCommand(program: Command, io: CliIO): void {
  daemonActionCommand(program, io, {
    name: "resume",
    act: "resume",
    argument: "<names...>",
    description: "resume paused daemons",
    help: `
Prints each daemon's new state. Exits 1 when a name is unknown or a daemon is not paused
(409: "cannot resume auto_sync: it is running"), 3 with no manager.

Examples:
  $ ringmaster resume auto_sync
  auto_sync: RUNNING (healthy)`,
  });
}
