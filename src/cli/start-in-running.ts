import { ApiError } from "../http/client.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonStatus } from "../supervisor/types.js";
import { apiErrorLines } from "./action.js";
import type { Painter } from "./ansi.js";
import { CliError, type CliIO, EXIT, println } from "./io.js";
import { statusLine } from "./lines.js";
import type { RunningManager } from "./running-manager.js";

const isUp = (s: DaemonStatus | undefined): s is DaemonStatus =>
  s?.state === "running" || s?.state === "paused";

/** Every daemon `name` depends on, directly or through others. */
function dependencyClosure(name: string, byName: ReadonlyMap<string, DaemonStatus>): Set<string> {
  const found = new Set<string>();
  const visit = (n: string) => {
    for (const d of byName.get(n)?.dependsOn ?? []) {
      if (found.has(d)) continue;
      found.add(d);
      visit(d);
    }
  };
  visit(name);
  return found;
}

/**
 * The names as the running manager spells them (any case accepted). Every unknown name is one
 * line, with the closest of the manager's daemons, or the list of them when none is close; nothing
 * starts then.
 */
export function namesIn(
  running: RunningManager,
  all: readonly DaemonStatus[],
  names: readonly string[],
): string[] {
  const known = all.map((s) => s.name);
  const problems: string[] = [];
  const found = names.map((name) => {
    const hit =
      known.find((n) => n === name) ?? known.find((n) => n.toLowerCase() === name.toLowerCase());
    if (hit) return hit;
    const close = suggest(name, known);
    problems.push(
      `unknown daemon "${name}" in the manager at ${running.url}${
        close ? ` (did you mean "${close}"?)` : `; its daemons: ${known.join(", ")}`
      }`,
    );
    return name;
  });
  if (problems.length > 0) throw new CliError(EXIT.failure, problems);
  return [...new Set(found)];
}

/**
 * `ringmaster start NAME…` while a manager runs for the config: asks it to start each daemon
 * (`POST /api/daemons/:name/start`, which waits until the daemon is up or has failed) and prints
 * one line per daemon in the seed form with what happened: `started`, `already running`, `pulled
 * in (X depends on it)` for a dependency that came up with it, or the manager's refusal. Exit 1
 * when one did not come up.
 */
export async function startInRunning(
  running: RunningManager,
  names: readonly string[],
  io: CliIO,
  p: Painter,
): Promise<number> {
  const { client } = running;
  let before = await client.daemons();
  const wanted = namesIn(running, before, names);
  println(
    io.stdout,
    `a manager already runs at ${running.url} (${running.because}); starting there:`,
  );
  const line = (s: DaemonStatus, what: string) =>
    println(io.stdout, `  ${statusLine(s, Date.now(), p)} ${p.gray(`— ${what}`)}`);
  const reported = new Set<string>();
  let code: number = EXIT.ok;
  for (const name of wanted) {
    if (reported.has(name)) continue; // pulled in by one named before it: said so already
    const was = before.find((s) => s.name === name);
    if (isUp(was)) {
      line(was, "already running");
      reported.add(name);
      continue;
    }
    let status: DaemonStatus;
    try {
      status = await client.start(name);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      for (const l of apiErrorLines(error)) println(io.stderr, `error: ${name}: ${l}`);
      code = EXIT.failure;
      continue;
    }
    const after = await client.daemons();
    const byName = new Map(after.map((s) => [s.name, s]));
    const upBefore = new Set(before.filter(isUp).map((s) => s.name));
    const deps = dependencyClosure(name, byName);
    // In the manager's order: dependencies first.
    for (const s of after) {
      if (!deps.has(s.name) || reported.has(s.name) || upBefore.has(s.name) || !isUp(s)) continue;
      line(s, `pulled in (${name} depends on it)`);
      reported.add(s.name);
    }
    const up = isUp(status);
    line(status, up ? "started" : "did not start");
    reported.add(name);
    if (!up) code = EXIT.failure;
    before = after;
  }
  return code;
}
