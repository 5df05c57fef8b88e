import { type Command, Option } from "commander";
import { createGraph } from "../../registry/graph.js";
import { action } from "../action.js";
import { loadCliConfig } from "../config.js";
import type { CliIO } from "../io.js";

/** `ringmaster graph`: the dependency graph as text, Mermaid or DOT. */
export function graphCommand(program: Command, io: CliIO): void {
  program
    .command("graph")
    .description("draw the dependency graph")
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)")
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "mermaid", "dot"])
        .default("text"),
    )
    .option("--categories", "group daemons by category")
    .addHelpText(
      "after",
      `
Examples:
  $ ringmaster graph                               # by level, one daemon a line with ← its dependencies
  $ ringmaster graph --format mermaid > graph.mmd  # paste into a Markdown file
  $ ringmaster graph --format dot | dot -Tsvg > graph.svg`,
    )
    .action(
      action(
        io,
        async (opts: {
          config?: string;
          format: "text" | "mermaid" | "dot";
          categories?: boolean;
        }) => {
          const { config } = await loadCliConfig(opts.config, io);
          const graph = createGraph(config.daemons);
          const text = graph.render(opts.format, { categories: opts.categories === true });
          io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
          return 0;
        },
      ),
    );
}
