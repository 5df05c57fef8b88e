import { formatDuration } from "../registry/duration.js";
import type { DaemonStatus, Manager, ProbeReport } from "../supervisor/types.js";
import { ansi, type Painter, truncate } from "./ansi.js";
import { paintHealth, paintState, since, table } from "./format.js";
import type { CliOutput } from "./io.js";

/** Redraws at most this often on state and health events; a timer redraws once a second. */
export const MIN_REDRAW_INTERVAL_MS = 250;
export const TICK_MS = 1000;

export interface StatusViewModel {
  title: string;
  selection: string;
  statuses: DaemonStatus[];
  liveness: ProbeReport;
  readiness: ProbeReport;
  /** The manager's clock, ms since the epoch. */
  now: number;
  startedAt: number;
  shuttingDown: boolean;
  logs: string[];
  width: number;
  /** Terminal height; the log tail takes what the table leaves (at least 3 lines). */
  height: number | undefined;
  /** The dashboard's address, shown in the header while the manager serves HTTP. */
  url?: string | undefined;
}

/** Log lines kept on screen however many daemons there are. */
export const MIN_LOG_LINES = 3;

/** Failed first, then backoff, unhealthy, degraded, on their way (starting, waiting, stopping), the rest. */
function interest(s: DaemonStatus): number {
  if (s.state === "failed") return 0;
  if (s.state === "backoff") return 1;
  if (s.health.status === "unhealthy") return 2;
  if (s.health.status === "degraded") return 3;
  if (s.state === "starting" || s.state === "waiting" || s.state === "stopping") return 4;
  return 5;
}

function counts(statuses: DaemonStatus[]) {
  const by = (...states: string[]) => statuses.filter((s) => states.includes(s.state)).length;
  return {
    running: by("running", "paused"),
    starting: by("starting"),
    waiting: by("waiting"),
    backoff: by("backoff"),
    failed: by("failed"),
    stopped: by("stopped", "stopping"),
  };
}

function probe(name: string, report: ProbeReport, p: Painter): string {
  if (report.ok) return `${name} ${p.green("ok")}`;
  const first = report.reasons[0] ?? "";
  const more = report.reasons.length > 1 ? ` (+${report.reasons.length - 1})` : "";
  return `${name} ${p.red("no")} ${p.gray(`${first}${more}`)}`;
}

function detail(s: DaemonStatus, now: number, p: Painter): string {
  switch (s.state) {
    case "backoff": {
      const wait =
        s.nextRestartAt === null ? "" : ` in ${formatDuration(Math.max(0, s.nextRestartAt - now))}`;
      return (
        p.magenta(`restart ${s.restartAttempt}/${s.maxRestarts}${wait}`) +
        (s.lastError ? p.gray(` — ${s.lastError}`) : "")
      );
    }
    case "failed":
      return p.red(s.lastError ?? "failed");
    case "waiting":
      return p.gray(s.waitingOn.length > 0 ? `waiting on ${s.waitingOn.join(", ")}` : "waiting");
    default: {
      const message = s.health.message ? ` ${s.health.message}` : "";
      return `${paintHealth(s.health.status, p)}${message}`;
    }
  }
}

/** The lines of one frame of the live status view. Pure, so it can be tested. */
export function renderStatusView(m: StatusViewModel, p: Painter): string[] {
  const shown = m.statuses.some((s) => s.requested)
    ? m.statuses.filter((s) => s.requested)
    : m.statuses;
  const c = counts(shown);
  const parts = [
    p.green(`${c.running} running`),
    c.starting ? p.yellow(`${c.starting} starting`) : "",
    c.waiting ? p.yellow(`${c.waiting} waiting`) : `${c.waiting} waiting`,
    c.backoff ? p.magenta(`${c.backoff} backoff`) : "",
    c.failed ? p.red(`${c.failed} failed`) : `${c.failed} failed`,
    c.stopped ? p.gray(`${c.stopped} stopped`) : "",
  ].filter(Boolean);
  // First after the name, so a narrow terminal cuts the file name rather than the address.
  const dashboard = m.url ? ` ${p.gray("·")} dashboard ${p.cyan(m.url)}` : "";
  const lines: string[] = [
    `${p.bold("ringmaster")}${dashboard} ${p.gray("·")} ${m.title} ${p.gray("·")} ${m.selection} ${p.gray("·")} up ${since(m.startedAt, m.now)}${m.shuttingDown ? p.yellow("  shutting down…") : ""}`,
    `${shown.length} daemon${shown.length === 1 ? "" : "s"}: ${parts.join(p.gray(" · "))}    ${probe("liveness", m.liveness, p)}    ${probe("readiness", m.readiness, p)}`,
    "",
  ];
  // The most interesting daemons first; on a short terminal the rest fold into "… N more".
  const ordered = shown
    .map((s, i) => ({ s, i }))
    .sort((a, b) => interest(a.s) - interest(b.s) || a.i - b.i)
    .map(({ s }) => s);
  // Fixed lines: the header (3), the table's head, the log's blank and rule, the footer.
  const fixed = lines.length + 4;
  const room =
    m.height === undefined ? ordered.length : Math.max(1, m.height - fixed - MIN_LOG_LINES);
  const listed = ordered.length > room ? ordered.slice(0, Math.max(0, room - 1)) : ordered;
  const folded = ordered.slice(listed.length);
  const rows = [
    ["DAEMON", "STATE", "UP", "RESTARTS", "HEALTH"].map((h) => p.bold(h)),
    ...listed.map((s) => [
      s.deprecated ? `${s.name}${p.gray("*")}` : s.name,
      paintState(s.state, p),
      s.state === "running" || s.state === "paused" ? since(s.startedAt, m.now) : "-",
      s.restarts > 0 ? p.yellow(String(s.restarts)) : "0",
      detail(s, m.now, p),
    ]),
  ];
  lines.push(...table(rows));
  if (folded.length > 0) {
    const states = counts(folded);
    const what = Object.entries(states)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`)
      .join(", ");
    lines.push(p.gray(`… ${folded.length} more (${what})`));
  }
  const logRoom = m.height === undefined ? 8 : Math.max(MIN_LOG_LINES, m.height - lines.length - 3);
  const tail = m.logs.slice(-logRoom);
  lines.push("", p.gray(`── log ${"─".repeat(Math.max(0, Math.min(m.width, 100) - 7))}`), ...tail);
  for (let i = tail.length; i < logRoom && m.height !== undefined; i++) lines.push("");
  lines.push(p.gray("Ctrl-C stops every daemon cleanly; press it twice to exit at once."));
  return lines.map((line) => truncate(line, m.width));
}

export interface StatusView {
  /** Switches to the alternate screen and starts redrawing. */
  start(): void;
  /** Adds a log line to the tail under the table. */
  log(line: string): void;
  /** Redraws on the next allowed moment. */
  schedule(): void;
  /** Stops redrawing and restores the screen. Idempotent. */
  stop(): void;
}

export interface StatusViewOptions {
  out: CliOutput;
  manager: Manager;
  painter: Painter;
  title: string;
  selection: string;
  /** How many log lines to keep. */
  logLines?: number;
  isShuttingDown: () => boolean;
}

/**
 * The live status view of `ringmaster start` on a terminal: redrawn in place (alternate screen) on
 * `daemon:state`, `daemon:health` and `daemon:restart`, at most every
 * {@link MIN_REDRAW_INTERVAL_MS}, and every {@link TICK_MS} for uptimes and backoff countdowns.
 */
export function createStatusView(o: StatusViewOptions): StatusView {
  const logs: string[] = [];
  const keep = o.logLines ?? 200;
  const startedAt = o.manager.clock.now();
  let running = false;
  let lastDraw = 0;
  let pending: NodeJS.Timeout | undefined;
  let tick: NodeJS.Timeout | undefined;
  const offs: Array<() => void> = [];

  const draw = () => {
    pending = undefined;
    if (!running) return;
    lastDraw = Date.now();
    const lines = renderStatusView(
      {
        title: o.title,
        selection: o.selection,
        statuses: o.manager.status(),
        liveness: o.manager.liveness(),
        readiness: o.manager.readiness(),
        now: o.manager.clock.now(),
        startedAt,
        shuttingDown: o.isShuttingDown(),
        logs,
        width: o.out.columns ?? 120,
        height: o.out.rows,
        url: o.manager.url,
      },
      o.painter,
    );
    o.out.write(
      `${ansi.home}${lines.map((l) => `${l}${ansi.clearLine}`).join("\n")}${ansi.clearDown}`,
    );
  };

  const schedule = () => {
    if (!running || pending) return;
    const wait = Math.max(0, lastDraw + MIN_REDRAW_INTERVAL_MS - Date.now());
    pending = setTimeout(draw, wait);
  };

  return {
    start() {
      if (running) return;
      running = true;
      o.out.write(`${ansi.altScreenOn}${ansi.hideCursor}`);
      offs.push(
        o.manager.on("daemon:state", schedule),
        o.manager.on("daemon:health", schedule),
        o.manager.on("daemon:restart", schedule),
      );
      tick = setInterval(draw, TICK_MS);
      tick.unref?.();
      draw();
    },
    log(line) {
      logs.push(line);
      if (logs.length > keep) logs.splice(0, logs.length - keep);
      schedule();
    },
    schedule,
    stop() {
      if (!running) return;
      running = false;
      if (pending) clearTimeout(pending);
      if (tick) clearInterval(tick);
      for (const off of offs.splice(0)) off();
      o.out.write(`${ansi.showCursor}${ansi.altScreenOff}`);
    },
  };
}
