import type { Command } from "commander";
import { CLUSTER_DEFAULTS } from "../../cluster/defaults.js";
import { clusterView } from "../../cluster/view.js";
import { action } from "../action.js";
import { colourEnabled, painter } from "../ansi.js";
import { table } from "../format.js";
import { type CliIO, EXIT, println } from "../io.js";
import { clusterMatrix, nodeCells, nodeViewTable } from "../lines.js";
import {
  fallbackNotice,
  nodeUrl,
  openRecordedStore,
  type RemoteFlags,
  remoteOptions,
  resolveRemote,
} from "../remote.js";

/** `ringmaster nodes`: the manager processes of the cluster. */
export function nodesCommand(program: Command, io: CliIO): void {
  remoteOptions(
    program.command("nodes").description("list the manager processes (nodes) of the cluster"),
  )
    .option("--json", "one JSON array")
    .addHelpText(
      "after",
      `
From the running manager; with none, every node recorded in the store with its last heartbeat.

Examples:
  $ ringmaster nodes
  $ ringmaster nodes --json`,
    )
    .action(
      action(io, async (flags: RemoteFlags & { json?: boolean }) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.tryConnect();
        const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
        if (client) {
          const nodes = await client.nodes();
          if (flags.json) {
            println(io.stdout, JSON.stringify(nodes, null, 2));
            return EXIT.ok;
          }
          // What runs where, with the holder and token of each cluster daemon.
          const matrix = clusterMatrix(nodes, p);
          for (const line of [
            ...nodeViewTable(nodes, p),
            ...(matrix.length ? ["", ...matrix] : []),
          ])
            println(io.stdout, line);
          return EXIT.ok;
        }
        const store = await openRecordedStore(remote);
        try {
          const now = Date.now();
          const nodes = (await clusterView(store, now, CLUSTER_DEFAULTS.nodeTtl)).sort(
            (a, b) => b.startedAt - a.startedAt,
          );
          println(flags.json ? io.stderr : io.stdout, p.yellow(fallbackNotice(remote)));
          if (flags.json) {
            println(io.stdout, JSON.stringify(nodes, null, 2));
            return EXIT.ok;
          }
          const rows = [
            ["NODE", "HOST", "PID", "PROFILE", "STARTED", "HEARTBEAT", "URL", "STATE", "HOLDS"].map(
              (h) => p.bold(h),
            ),
            ...nodes.map((n) => [
              ...nodeCells(n, now),
              nodeUrl(n) ?? "-",
              n.state === "live" ? p.green(n.state) : n.state === "lost" ? p.red(n.state) : n.state,
              n.holds.map((h) => `${h.name}#${h.token}`).join(" ") || "-",
            ]),
          ];
          for (const line of table(rows)) println(io.stdout, line);
          if (nodes.length === 0) println(io.stdout, p.gray("(no node was recorded)"));
          return EXIT.ok;
        } finally {
          await store.close().catch(() => {});
        }
      }),
    );
}
