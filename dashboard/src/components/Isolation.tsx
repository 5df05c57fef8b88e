import type { DaemonStatus } from "../types";

type Where = DaemonStatus["isolation"];

const MB = 2 ** 20;
const megabytes = (bytes: number) =>
  `${bytes >= 10 * MB ? Math.round(bytes / MB) : (bytes / MB).toFixed(1)} MB`;

/** Where it runs: `process pid 4242`, `worker thread 3`, `command pid 4250`. */
function place(where: Where): string {
  if (where.kind === "worker")
    return where.threadId !== undefined ? `worker thread ${where.threadId}` : "worker";
  return where.pid !== undefined ? `${where.kind} pid ${where.pid}` : where.kind;
}

/** What it uses, as far as it was sampled: `52 MB RSS · 12 MB heap · 3% CPU`. */
function figures(where: Where): string[] {
  const shown: string[] = [];
  if (where.processes !== undefined && where.processes > 1)
    shown.push(`${where.processes} processes`);
  if (where.rssBytes !== undefined) shown.push(`${megabytes(where.rssBytes)} RSS`);
  if (where.heapBytes !== undefined) shown.push(`${megabytes(where.heapBytes)} heap`);
  if (where.cpuPercent !== undefined)
    // A worker has no CPU clock of its own: its figure is its event loop's utilization.
    shown.push(`${Math.round(where.cpuPercent)}% ${where.kind === "worker" ? "busy" : "CPU"}`);
  return shown;
}

/** The daemons table's mark of a worker, process or command daemon; nothing for an inline one. */
export function IsolationTag({ where }: { where: Where | undefined }) {
  if (!where || where.kind === "inline") return null;
  return (
    <span
      class="tag"
      data-isolation={where.kind}
      title={[place(where), ...figures(where)].join(" · ")}
    >
      {where.kind}
    </span>
  );
}

/** The daemon page's "Runs in" entry: where, and what it uses. */
export function IsolationFacts({ where }: { where: Where | undefined }) {
  const kind = where?.kind ?? "inline";
  const used = where && kind !== "inline" ? figures(where) : [];
  return (
    <>
      <dt>Runs in</dt>
      <dd data-testid="detail-isolation" data-isolation={kind}>
        {!where || kind === "inline" ? (
          "the manager's event loop (inline)"
        ) : (
          <>
            {place(where)}
            {used.length > 0 ? <span class="muted"> · {used.join(" · ")}</span> : null}
          </>
        )}
      </dd>
    </>
  );
}
