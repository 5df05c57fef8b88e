import type { Command } from "commander";
import {
  ApiError,
  createClient,
  ManagerUnreachableError,
  type RingmasterClient,
} from "../../http/client.js";
import { formatDuration, parseDuration, SECOND } from "../../registry/duration.js";
import type { DaemonStatus, StateChange } from "../../supervisor/types.js";
import { action } from "../action.js";
import { colourEnabled, type Painter, painter } from "../ansi.js";
import { eachDaemon } from "../daemon-actions.js";
import { CliError, type CliIO, EXIT, println } from "../io.js";
import { PROBE_TIMEOUT, type RemoteFlags, remoteOptions, resolveRemote } from "../remote.js";

/** How often `stop` asks whether the manager is gone, and how long it waits by default. */
export const STOP_POLL_INTERVAL = 200;
export const STOP_WAIT_MARGIN = 15 * SECOND;

interface StopFlags extends RemoteFlags {
  timeout?: string;
}

/** `ringmaster stop [names…]`: stops daemons, or with no names shuts the whole manager down. */
export function stopCommand(program: Command, io: CliIO): void {
  remoteOptions(
    program
      .command("stop")
      .description("stop daemons (and their dependents), or with no names shut the manager down")
      .argument("[names...]", "daemons to stop (any case); none: the whole manager"),
  )
    .option(
      "--timeout <duration>",
      "how long to wait for the manager to exit (default: its shutdown timeout + 15s)",
    )
    .addHelpText(
      "after",
      `
With names, each daemon is stopped (dependents first) and its new state printed. With no names
the manager is asked to shut down gracefully (POST /api/shutdown) — the same as Ctrl-C on
\`ringmaster start\` — and stop prints each daemon as it stops and waits until the manager is gone.
Exits 1 if a name is unknown or the manager is still there after the timeout, 3 if no manager is
reachable.

Examples:
  $ ringmaster stop evaluation AUTO_PROMOTION
  $ ringmaster stop
  $ ringmaster stop --url http://127.0.0.1:8790 --timeout 2m`,
    )
    .action(
      action(io, async (names: string[], flags: StopFlags) => {
        const remote = await resolveRemote(flags, io);
        const client = await remote.connect();
        const p = painter(colourEnabled(io.stdout, io.env));
        if (names.length > 0)
          return eachDaemon(
            io,
            names,
            p,
            (name) => client.stop(name),
            async (status) => {
              const waiting = waitingDependents(status.name, await client.daemons());
              return waiting.length === 0
                ? []
                : [
                    `  also put into waiting (they depend on ${status.name}): ${waiting.join(", ")}`,
                  ];
            },
          );
        let timeout: number;
        try {
          timeout =
            flags.timeout !== undefined
              ? parseDuration(flags.timeout, "--timeout")
              : (remote.config?.shutdownTimeout ?? 30 * SECOND) + STOP_WAIT_MARGIN;
        } catch (error) {
          throw new CliError(EXIT.usage, [(error as Error).message]);
        }
        return shutDown(io, client, timeout, p);
      }),
    );
}

/**
 * The daemons that depend on `name`, directly or through others, and wait now that it stopped: the
 * ones `stop` put into waiting along with it, in the manager's order.
 */
export function waitingDependents(name: string, all: readonly DaemonStatus[]): string[] {
  const byName = new Map(all.map((s) => [s.name, s]));
  const found = new Set<string>();
  const visit = (n: string) => {
    for (const d of byName.get(n)?.dependents ?? []) {
      if (found.has(d)) continue;
      found.add(d);
      visit(d);
    }
  };
  visit(name);
  return all.filter((s) => found.has(s.name) && s.state === "waiting").map((s) => s.name);
}

/**
 * Asks the manager to shut down, prints each daemon as the live stream reports it stopped, then
 * waits until `/health` no longer answers (exit 0) or `timeout` passes (exit 1).
 */
async function shutDown(
  io: CliIO,
  client: RingmasterClient,
  timeout: number,
  p: Painter,
): Promise<number> {
  const t0 = Date.now();
  const stopping = new AbortController();
  // Replayed from the start of the stream's buffer, so nothing between here and the request is
  // missed; only what follows the manager's own "shutdown" entry is shown.
  const stream = client.stream({
    types: ["state", "manager"],
    lastEventId: 0,
    signal: stopping.signal,
  });
  const stopped: string[] = [];
  const watching = (async () => {
    let begun = false;
    try {
      for await (const message of stream) {
        const data = message.data as Partial<StateChange> & { phase?: string };
        if (message.type === "manager" && data.phase === "shutdown") begun = true;
        if (!begun || message.type !== "state") continue;
        if (data.to === "stopped" || data.to === "failed") {
          stopped.push(String(data.name));
          const how = data.to === "stopped" ? p.green("stopped") : p.red("failed");
          println(
            io.stdout,
            `  ${how} ${data.name}${data.reason ? p.gray(` (${data.reason})`) : ""}`,
          );
        }
      }
    } catch {
      // The server ends the stream when it closes: that is the expected end.
    }
  })();
  println(io.stdout, `asking the manager at ${client.url} to shut down…`);
  try {
    await client.shutdown();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) {
      stopping.abort();
      throw error;
    }
    println(io.stdout, "it is already shutting down; waiting for it to exit…");
  }
  const probe = createClient(client.url, { timeout: PROBE_TIMEOUT });
  const deadline = t0 + timeout;
  try {
    for (;;) {
      try {
        await probe.health();
      } catch (error) {
        if (error instanceof ManagerUnreachableError) break;
        throw error;
      }
      if (Date.now() > deadline)
        throw new CliError(EXIT.failure, [
          `the manager at ${client.url} still answers ${formatDuration(timeout)} after it was asked to shut down`,
          "its daemons may be slow to stop: look at its output, or stop its process (a second Ctrl-C exits at once)",
        ]);
      await new Promise((resolve) => setTimeout(resolve, STOP_POLL_INTERVAL));
    }
  } finally {
    stopping.abort();
    await watching;
  }
  println(
    io.stdout,
    p.green(
      `the manager at ${client.url} has shut down: ${stopped.length} daemon${stopped.length === 1 ? "" : "s"} stopped, in ${formatDuration(Date.now() - t0)}`,
    ),
  );
  return EXIT.ok;
}
