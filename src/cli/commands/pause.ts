import type { Command } from "commander";
import { daemonActionCommand } from "../daemon-actions.js";
import type { CliIO } from "../io.js";

/** `ringmaster pause <names…>`: stops scheduling cycles of running daemons until resumed. */
export function pauseCommand(program: Command, io: CliIO): void {
  daemonActionCommand(program, io, {
    name: "pause",
    act: "pause",
    argument: "<names...>",
    description: "pause running daemons: no new cycles until resumed",
    help: `
Prints each daemon's new state. Exits 1 when a name is unknown or a daemon cannot be paused in its
state (409: e.g. it is stopped), 3 with no manager.

Examples:
  $ ringmaster pause auto_sync
  auto_sync: PAUSED (healthy)
  $ ringmaster pause evaluation AUTO_PROMOTION`,
  });
}
