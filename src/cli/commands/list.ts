import type { Command } from "commander";
import { createGraph } from "../../registry/graph.js";
import { action } from "../action.js";
import { colourEnabled, painter } from "../ansi.js";
import { loadCliConfig } from "../config.js";
import { describeSchedule, table } from "../format.js";
import { type CliIO, println } from "../io.js";
import { canonicalCategory, splitList } from "../selection.js";

/** `ringmaster list`: the declared daemons, in start order. */
export function listCommand(program: Command, io: CliIO): void {
  program
    .command("list")
    .description("list the declared daemons: category, dependencies, schedule, deprecation")
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)")
    .option("--category <names>", "only these categories (comma-separated, any case)")
    .option("--deprecated", "only deprecated daemons")
    .option("--json", "one JSON array instead of a table")
    .addHelpText(
      "after",
      `
Examples:
  $ ringmaster list
  $ ringmaster list --category SYNC,pipeline
  $ ringmaster list --deprecated --json`,
    )
    .action(
      action(
        io,
        async (opts: {
          config?: string;
          category?: string;
          deprecated?: boolean;
          json?: boolean;
        }) => {
          const { config } = await loadCliConfig(opts.config, io);
          const categories =
            opts.category === undefined
              ? undefined
              : new Set(splitList(opts.category).map((c) => canonicalCategory(config, c)));
          const byName = new Map(config.daemons.map((d) => [d.name, d]));
          const order = createGraph(config.daemons).topologicalOrder();
          const rest = config.daemons.map((d) => d.name).filter((n) => !order.includes(n));
          const specs = [...order, ...rest]
            .map((n) => byName.get(n)!)
            .filter((d) => !categories || categories.has(d.category))
            .filter((d) => !opts.deprecated || d.deprecated !== undefined);
          if (opts.json) {
            const rows = specs.map((d) => ({
              name: d.name,
              description: d.description,
              category: d.category,
              dependsOn: [...d.dependsOn],
              schedule: describeSchedule(d),
              interval: d.interval ?? null,
              cron: d.cron ?? null,
              subscribes: [...d.subscribes],
              emits: [...d.emits],
              enabled: d.enabled,
              autoStart: d.autoStart,
              deprecated: d.deprecated ?? null,
            }));
            println(io.stdout, JSON.stringify(rows, null, 2));
            return 0;
          }
          const p = painter(colourEnabled(io.stdout, io.env));
          const notes = (d: (typeof specs)[number]) =>
            [
              d.deprecated ? p.yellow(`deprecated: ${d.deprecated}`) : "",
              d.enabled ? "" : "disabled",
              d.autoStart ? "" : "manual start",
            ]
              .filter(Boolean)
              .join("; ");
          const rows = [
            ["NAME", "CATEGORY", "DEPENDS ON", "SCHEDULE", "NOTES"].map((h) => p.bold(h)),
            ...specs.map((d) => [
              d.name,
              d.category,
              d.dependsOn.join(", ") || "-",
              describeSchedule(d),
              notes(d),
            ]),
          ];
          for (const line of table(rows)) println(io.stdout, line);
          if (specs.length === 0) println(io.stdout, p.gray("(no daemon matches)"));
          return 0;
        },
      ),
    );
}
