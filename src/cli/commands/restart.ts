import type { Command } from "commander";
import { daemonActionCommand } from "../daemon-actions.js";
import type { CliIO } from "../io.js";

/** `ringmaster restart <name>`: stops a daemon and starts it again, counting a restart. */
export function restartCommand(program: Command, io: CliIO): void {
  daemonActionCommand(program, io, {
    name: "restart",
    act: "restart",
    argument: "<name>",
    description: "restart a daemon now (a restart is counted) and print its new state",
    help: `
Waits until the daemon is back (or has failed) and prints it in the status form.
Exits 1 when the name is unknown (with a suggestion) or the manager refuses, 3 with no manager.

Examples:
  $ ringmaster restart auto_sync
  auto_sync: RUNNING (healthy)
  $ ringmaster restart EVALUATION --url http://127.0.0.1:8790 --token "$RINGMASTER_API_TOKEN"`,
  });
}
