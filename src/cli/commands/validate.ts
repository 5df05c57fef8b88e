import type { Command } from "commander";
import { action } from "../action.js";
import { colourEnabled, painter } from "../ansi.js";
import { checkConfig, loadCliConfig } from "../config.js";
import { type CliIO, EXIT, println } from "../io.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `ringmaster validate`: every error and warning of the config; exit 1 on any error. */
export function validateCommand(program: Command, io: CliIO): void {
  program
    .command("validate")
    .description(
      "check the config: names, dependencies, cycles, start order, profiles, events, config values",
    )
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)")
    .addHelpText(
      "after",
      `
Prints one line per problem and a summary; exits 1 when there is any error.
Environment overrides (e.g. RINGMASTER_AUTO_SYNC_BATCH_SIZE=abc) are checked too.

Example:
  $ ringmaster validate --config examples/training-pipeline/ringmaster.config.ts
  warning: node_health_monitor is deprecated: superseded by cluster_monitor … [deprecated]
  ✓ valid: 26 daemons, 6 profiles, 0 errors, 1 warning`,
    )
    .action(
      action(io, async (opts: { config?: string }) => {
        const { config } = await loadCliConfig(opts.config, io);
        const p = painter(colourEnabled(io.stdout, io.env));
        const { errors, warnings } = await checkConfig(config, io.env);
        for (const e of errors)
          println(io.stdout, `${p.red("error:")} ${e.message} ${p.gray(`[${e.code}]`)}`);
        for (const w of warnings)
          println(io.stdout, `${p.yellow("warning:")} ${w.message} ${p.gray(`[${w.code}]`)}`);
        const tally = `${plural(config.daemons.length, "daemon")}, ${plural(Object.keys(config.profiles).length, "profile")}, ${plural(errors.length, "error")}, ${plural(warnings.length, "warning")}`;
        if (errors.length > 0) {
          println(io.stdout, p.red(`✗ invalid: ${tally}`));
          return EXIT.failure;
        }
        println(io.stdout, p.green(`✓ valid: ${tally}`));
        return EXIT.ok;
      }),
    );
}
