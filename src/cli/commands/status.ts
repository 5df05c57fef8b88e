import type { Command } from "commander";
import { CLUSTER_DEFAULTS } from "../../cluster/defaults.js";
import { clusterView } from "../../cluster/view.js";
import { formatStatusLine } from "../../http/format.js";
import type { DaemonRecord, NodeRecord } from "../../store/types.js";
import type { DaemonStatus } from "../../supervisor/types.js";
import { action } from "../action.js";
import { ansi, colourEnabled, type Painter, painter } from "../ansi.js";
import { table } from "../format.js";
import { CliError, type CliIO, EXIT, println } from "../io.js";
import { ago, clusterMatrix, nodeCells, nodeViewTable, recordLine, statusLine } from "../lines.js";
import {
  fallbackNotice,
  openRecordedStore,
  type Remote,
  type RemoteFlags,
  remoteOptions,
  resolveRemote,
  unreachableLines,
} from "../remote.js";
import { canonicalIn } from "../selection.js";
import { untilInterrupted } from "../wait.js";

/** `status --watch` refreshes this often. */
export const WATCH_INTERVAL = 1_000;

interface StatusFlags extends RemoteFlags {
  json?: boolean;
  watch?: boolean;
  cluster?: boolean;
}

/** `ringmaster status`: every daemon in the seed form, from the manager or, without one, the store. */
export function statusCommand(program: Command, io: CliIO): void {
  remoteOptions(
    program
      .command("status")
      .description("show each daemon's state and health, one a line: auto_sync: RUNNING (healthy)")
      .argument("[names...]", "only these daemons (any case)"),
  )
    .option("--json", "one JSON object for scripts")
    .option("-w, --watch", "refresh in place every second until Ctrl-C")
    .option("--cluster", "show every node of the cluster first")
    .addHelpText(
      "after",
      `
With no manager running, shows the state the last one recorded in the store, and says so.
Exits 0 whenever a status was shown (whatever the daemons' states; use --json to check them),
1 for an unknown daemon name, 3 when there is neither a manager nor recorded state.

Examples:
  $ ringmaster status
  Daemon Status:
  auto_sync: RUNNING (healthy)
  evaluation: BACKOFF (restart 2/5 in 4s, last error: gauntlet timed out)
  $ ringmaster status AUTO_SYNC evaluation --json
  $ ringmaster status --watch --url http://10.0.0.5:8790`,
    )
    .action(
      action(io, async (names: string[], flags: StatusFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.tryConnect();
        const p = painter(!flags.json && colourEnabled(io.stdout, io.env));
        if (!client) {
          if (flags.watch)
            throw new CliError(EXIT.unreachable, [
              ...unreachableLines(remote),
              "--watch needs a running manager",
            ]);
          return recordedStatus(remote, names, flags, io, p);
        }
        const show = async (): Promise<string[]> => {
          const statuses = pick(await client.daemons(), names);
          const now = Date.now();
          const lines: string[] = [];
          if (flags.cluster) {
            const nodes = await client.nodes();
            lines.push(...nodeViewTable(nodes, p), "", ...clusterMatrix(nodes, p), "");
          }
          lines.push("Daemon Status:", ...statuses.map((s) => statusLine(s, now, p)));
          return lines;
        };
        if (flags.json) {
          const statuses = pick(await client.daemons(), names);
          const now = Date.now();
          const out: Record<string, unknown> = {
            source: "manager",
            url: client.url,
            ...(flags.cluster ? { nodes: await client.nodes() } : {}),
            daemons: statuses.map((s) => ({ ...s, line: formatStatusLine(s, now) })),
          };
          println(io.stdout, JSON.stringify(out, null, 2));
          return EXIT.ok;
        }
        if (!flags.watch) {
          for (const line of await show()) println(io.stdout, line);
          return EXIT.ok;
        }
        return watch(io, client.url, show, p);
      }),
    );
}

/** The daemons named (any case), in the manager's order; all of them when none is named. */
function pick(statuses: DaemonStatus[], names: string[]): DaemonStatus[] {
  if (names.length === 0) return statuses;
  const known = statuses.map((s) => s.name);
  const wanted = new Set(names.map((n) => canonicalIn(known, n)));
  return statuses.filter((s) => wanted.has(s.name));
}

/**
 * Redraws `show()` every {@link WATCH_INTERVAL} until Ctrl-C (exit 0): in place on a terminal,
 * otherwise a new block each time it changes. Exit 3 if the manager goes away.
 */
async function watch(
  io: CliIO,
  url: string,
  show: () => Promise<string[]>,
  p: Painter,
): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let drawn = 0;
  let last = "";
  return untilInterrupted(io, async (signal) => {
    while (!signal.aborted) {
      let body: string[];
      try {
        body = await show();
      } catch (error) {
        if (signal.aborted) break;
        throw error;
      }
      const clock = new Date().toLocaleTimeString();
      const lines = [p.gray(`ringmaster status · ${url} · ${clock} · Ctrl-C to exit`), ...body];
      if (tty) {
        const up = drawn > 0 ? `\x1b[${drawn}F` : "";
        io.stdout.write(
          `${up}${lines.map((l) => `${l}${ansi.clearLine}`).join("\n")}\n${ansi.clearDown}`,
        );
        drawn = lines.length;
      } else {
        const text = body.join("\n");
        if (text !== last) {
          for (const line of lines) println(io.stdout, line);
          println(io.stdout);
          last = text;
        }
      }
      await sleepUnless(WATCH_INTERVAL, signal);
    }
    return EXIT.ok;
  });
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The state the last manager recorded: the newest node's daemons (every node's with --cluster). */
async function recordedStatus(
  remote: Remote,
  names: string[],
  flags: StatusFlags,
  io: CliIO,
  p: Painter,
): Promise<number> {
  const store = await openRecordedStore(remote);
  try {
    const nodes = (await store.listNodes()).sort((a, b) => b.startedAt - a.startedAt);
    const records = await store.loadDaemons();
    const known = [
      ...new Set([
        ...(remote.config?.daemons.map((d) => d.name) ?? []),
        ...records.map((r) => r.name),
      ]),
    ];
    const wanted = names.length > 0 ? new Set(names.map((n) => canonicalIn(known, n))) : undefined;
    const byNode = new Map<string, DaemonRecord[]>();
    for (const r of records) {
      if (wanted && !wanted.has(r.name)) continue;
      const list = byNode.get(r.node) ?? [];
      list.push(r);
      byNode.set(r.node, list);
    }
    const newest = nodes.find((n) => byNode.has(n.id));
    const shown: NodeRecord[] = flags.cluster ? nodes : newest ? [newest] : [];
    const order = (list: DaemonRecord[]) => {
      const position = new Map(known.map((n, i) => [n, i]));
      return [...list].sort((a, b) => (position.get(a.name) ?? 0) - (position.get(b.name) ?? 0));
    };
    const now = Date.now();
    if (flags.json) {
      const out = {
        source: "store",
        store: remote.storeUrl,
        url: remote.url,
        ...(flags.cluster ? { nodes } : {}),
        daemons: shown.flatMap((n) =>
          order(byNode.get(n.id) ?? []).map((r) => ({ ...r, line: recordLine(r, painter(false)) })),
        ),
      };
      println(io.stdout, JSON.stringify(out, null, 2));
      return EXIT.ok;
    }
    println(io.stdout, p.yellow(fallbackNotice(remote)));
    if (flags.cluster) {
      for (const line of table([
        ["NODE", "HOST", "PID", "PROFILE", "STARTED", "HEARTBEAT"].map((h) => p.bold(h)),
        ...nodes.map((n) => nodeCells(n, now)),
      ]))
        println(io.stdout, line);
      const view = await clusterView(store, now, CLUSTER_DEFAULTS.nodeTtl);
      for (const line of ["", ...clusterMatrix(view, p), ""]) println(io.stdout, line);
    }
    if (shown.length === 0 || byNode.size === 0) {
      println(io.stdout, p.gray("(no daemon was recorded)"));
      return EXIT.ok;
    }
    for (const node of shown) {
      const list = order(byNode.get(node.id) ?? []);
      if (list.length === 0) continue;
      println(
        io.stdout,
        p.gray(
          `node ${node.id} (pid ${node.pid} on ${node.host}), last heartbeat ${ago(node.lastHeartbeatAt, now)}:`,
        ),
      );
      for (const r of list) println(io.stdout, recordLine(r, p));
    }
    return EXIT.ok;
  } finally {
    await store.close().catch(() => {});
  }
}
