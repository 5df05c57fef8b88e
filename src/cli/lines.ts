import type { NodeView } from "../http/client.js";
import { formatStatusLine } from "../http/format.js";
import { formatDuration } from "../registry/duration.js";
import type { LogLevel } from "../registry/types.js";
import type { DaemonRecord, NodeRecord } from "../store/types.js";
import type { DaemonStatus } from "../supervisor/types.js";
import type { Painter } from "./ansi.js";
import { table } from "./format.js";

/** The colour of a state word (`RUNNING`, `BACKOFF`, …). */
function paintStateWord(state: string, word: string, p: Painter): string {
  switch (state) {
    case "running":
      return p.green(word);
    case "starting":
    case "waiting":
    case "stopping":
      return p.yellow(word);
    case "backoff":
      return p.magenta(word);
    case "failed":
      return p.red(p.bold(word));
    case "paused":
      return p.cyan(word);
    default:
      return p.gray(word);
  }
}

/**
 * The seed form of one daemon, coloured on a terminal: `auto_sync: RUNNING (healthy)`,
 * `auto_sync: RUNNING (degraded - 2 sync errors)`, `evaluation: BACKOFF (restart 2/5 in 4s, last
 * error: …)`. The text is exactly {@link formatStatusLine}'s; only colours are added.
 */
export function statusLine(status: DaemonStatus, now: number, p: Painter): string {
  const plain = formatStatusLine(status, now);
  const word = status.state.toUpperCase();
  const head = `${status.name}: `;
  const rest = plain.slice(head.length + word.length);
  let detail = rest;
  if (rest !== "") {
    if (status.state === "running" || status.state === "paused") {
      const h = status.health.status;
      detail =
        h === "healthy"
          ? p.green(rest)
          : h === "degraded"
            ? p.yellow(rest)
            : h === "unhealthy"
              ? p.red(rest)
              : p.gray(rest);
    } else if (status.state === "failed") detail = p.red(rest);
    else detail = p.gray(rest);
  }
  const tag = isolationTag(status);
  return `${head}${paintStateWord(status.state, word, p)}${detail}${tag ? p.gray(tag) : ""}`;
}

/**
 * Marks a worker, process or command daemon: ` [process pid 4242, 52 MB, 3% CPU]`,
 * ` [command pid 4250, 2 processes, 31 MB, 97% CPU]`, ` [worker thread 3, 12 MB heap, 40% busy]`
 * (a worker's CPU is its event loop's utilization); empty for an inline one (and for a status
 * from a manager that does not report it). Figures appear once the guest has been sampled.
 */
export function isolationTag(status: DaemonStatus): string {
  const where = status.isolation;
  if (!where || where.kind === "inline") return "";
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
  const parts = [
    where.kind === "worker"
      ? where.threadId !== undefined
        ? `${where.kind} thread ${where.threadId}`
        : where.kind
      : where.pid !== undefined
        ? `${where.kind} pid ${where.pid}`
        : where.kind,
  ];
  if (where.processes !== undefined && where.processes > 1)
    parts.push(`${where.processes} processes`);
  if (where.rssBytes !== undefined) parts.push(mb(where.rssBytes));
  else if (where.heapBytes !== undefined) parts.push(`${mb(where.heapBytes)} heap`);
  if (where.cpuPercent !== undefined)
    parts.push(`${Math.round(where.cpuPercent)}% ${where.kind === "worker" ? "busy" : "CPU"}`);
  return ` [${parts.join(", ")}]`;
}

/**
 * A daemon as a store recorded it, in the seed form: `auto_sync: RUNNING`,
 * `evaluation: FAILED (restarts 5, last error: disk full)`.
 */
export function recordLine(record: DaemonRecord, p: Painter): string {
  const word = record.state.toUpperCase();
  const notes = [
    record.restartCount > 0 ? `restarts ${record.restartCount}` : "",
    record.lastError ? `last error: ${record.lastError}` : "",
  ].filter(Boolean);
  const detail = notes.length > 0 ? p.gray(` (${notes.join(", ")})`) : "";
  return `${record.name}: ${paintStateWord(record.state, word, p)}${detail}`;
}

/** `3s ago`, `2m 5s ago`. */
export function ago(at: number | null, now: number): string {
  return at === null ? "never" : `${formatDuration(Math.max(0, now - at))} ago`;
}

/** One line per node: `host-123-abc  host  pid 123  profile full  started 5m ago  heartbeat 2s ago`. */
export function nodeCells(node: NodeRecord, now: number): string[] {
  return [
    node.id,
    node.host,
    String(node.pid),
    node.profile ?? "-",
    ago(node.startedAt, now),
    ago(node.lastHeartbeatAt, now),
  ];
}

const LEVEL_PAINT: Record<LogLevel, keyof Painter> = {
  debug: "gray",
  info: "green",
  warn: "yellow",
  error: "red",
};

/**
 * One log line: `2026-01-01T12:00:01.250Z INFO  auto_sync synced 120 games {"pending":0}` — ISO
 * time, level, daemon, message, and the fields as JSON when there are any.
 */
export function logLine(
  entry: {
    at: number;
    level: LogLevel;
    daemon: string;
    message: string;
    fields?: Record<string, unknown> | null;
  },
  p: Painter,
): string {
  const level = (LEVEL_PAINT[entry.level] ? entry.level : "info") as LogLevel;
  const paint = p[LEVEL_PAINT[level]];
  const fields =
    entry.fields && Object.keys(entry.fields).length > 0
      ? ` ${p.gray(safeJson(entry.fields))}`
      : "";
  return `${p.gray(new Date(entry.at).toISOString())} ${paint(entry.level.toUpperCase().padEnd(5))} ${p.cyan(entry.daemon)} ${entry.message}${fields}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The nodes a manager reports (`GET /api/nodes`) as a table. */
export function nodeViewTable(nodes: readonly NodeView[], p: Painter): string[] {
  return table([
    ["NODE", "HOST", "PID", "PROFILE", "URL", "STATE"].map((h) => p.bold(h)),
    ...nodes.map((n) => [
      n.self ? `${n.id} ${p.gray("(this)")}` : n.id,
      n.host,
      String(n.pid),
      n.profile ?? "-",
      n.url ?? "-",
      n.state === "lost"
        ? p.red("lost")
        : n.state === "stopped"
          ? p.gray("stopped")
          : n.shuttingDown
            ? p.yellow("shutting down")
            : n.ready
              ? p.green("ready")
              : n.live
                ? p.yellow("live, not ready")
                : p.red("not live"),
    ]),
  ]);
}

/**
 * `status --cluster`: one row per daemon, one column per node, each cell the daemon's state on
 * that node; a cluster daemon's holder is marked with its fencing token (`running #7`).
 */
export function clusterMatrix(
  nodes: ReadonlyArray<Pick<NodeView, "id"> & Pick<Partial<NodeView>, "runs" | "holds">>,
  p: Painter,
): string[] {
  const daemons = [...new Set(nodes.flatMap((n) => (n.runs ?? []).map((r) => r.name)))].sort();
  if (daemons.length === 0) return [];
  return table([
    [p.bold("DAEMON"), ...nodes.map((n) => p.bold(n.id))],
    ...daemons.map((name) => [
      name,
      ...nodes.map((n) => {
        const state = n.runs?.find((r) => r.name === name)?.state;
        const held = n.holds?.find((h) => h.name === name);
        if (!state) return p.gray("-");
        const word = state === "lost" ? p.red(state) : state === "standby" ? p.gray(state) : state;
        return held ? `${word} ${p.bold(`#${held.token}`)}` : word;
      }),
    ]),
  ]);
}
