import type { Command } from "commander";
import type { DeadLetter } from "../../events/types.js";
import { action } from "../action.js";
import { colourEnabled, painter } from "../ansi.js";
import { table } from "../format.js";
import { type CliIO, EXIT, println } from "../io.js";
import { ago } from "../lines.js";
import { positiveInt } from "../options.js";
import {
  fallbackNotice,
  openRecordedStore,
  type RemoteFlags,
  remoteOptions,
  resolveRemote,
} from "../remote.js";

/** `ringmaster dlq [list|retry <id>]`: events that could not be delivered. */
export function dlqCommand(program: Command, io: CliIO): void {
  const dlq = program
    .command("dlq")
    .description("list dead letters (events a subscriber could not take), retry one")
    .addHelpText(
      "after",
      `
With no manager running, list reads the store and says so; retry needs the manager.

Examples:
  $ ringmaster dlq
  $ ringmaster dlq list --subscriber evaluation --json
  $ ringmaster dlq retry 01JH6A…`,
    );

  remoteOptions(
    dlq.command("list", { isDefault: true }).description("list dead letters, oldest first"),
  )
    .option("--subscriber <name>", "only this subscriber's")
    .option(
      "-n, --limit <n>",
      "at most this many, the newest (default 100)",
      positiveInt(10_000),
      100,
    )
    .option("--json", "one JSON array")
    .addHelpText("after", "\nExample:\n  $ ringmaster dlq list --subscriber evaluation")
    .action(
      action(
        io,
        async (flags: RemoteFlags & { subscriber?: string; limit: number; json?: boolean }) => {
          const remote = await resolveRemote(flags, io);
          const client = await remote.tryConnect();
          const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
          let letters: DeadLetter[];
          if (client) {
            letters = await client.deadLetters({
              limit: flags.limit,
              ...(flags.subscriber ? { subscriber: flags.subscriber } : {}),
            });
          } else {
            const store = await openRecordedStore(remote);
            try {
              letters = (
                await store.listDeadLetters(
                  flags.subscriber ? { subscriber: flags.subscriber } : {},
                )
              ).slice(-flags.limit);
            } finally {
              await store.close().catch(() => {});
            }
            println(flags.json ? io.stderr : io.stdout, p.yellow(fallbackNotice(remote)));
          }
          if (flags.json) {
            println(io.stdout, JSON.stringify(letters, null, 2));
            return EXIT.ok;
          }
          if (letters.length === 0) {
            println(io.stdout, p.gray("(no dead letters)"));
            return EXIT.ok;
          }
          const now = Date.now();
          const rows = [
            ["ID", "EVENT", "SUBSCRIBER", "REASON", "ATTEMPTS", "WHEN", "ERROR"].map((h) =>
              p.bold(h),
            ),
            ...letters.map((d) => [
              d.id,
              `${d.event.type} from ${d.event.source}`,
              d.subscriber,
              d.reason,
              String(d.attempts),
              ago(d.at, now),
              p.red(d.error),
            ]),
          ];
          for (const line of table(rows)) println(io.stdout, line);
          return EXIT.ok;
        },
      ),
    );

  remoteOptions(
    dlq
      .command("retry")
      .description("deliver a dead letter again")
      .argument("<id>", "dead letter id"),
  )
    .addHelpText(
      "after",
      "\nExits 1 for an unknown id, 3 with no manager.\n\nExample:\n  $ ringmaster dlq retry 01JH6A…",
    )
    .action(
      action(io, async (id: string, flags: RemoteFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.connect();
        await client.retryDeadLetter(id);
        println(io.stdout, `dead letter ${id}: delivered to its subscriber again`);
        return EXIT.ok;
      }),
    );
}
