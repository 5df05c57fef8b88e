import { shutDownManager } from "../actions";
import { type Route, useLive } from "../hooks";
import { live } from "../live";
import type { ProbeReport } from "../types";

const PAGES: Array<{ page: Route["page"]; href: string; label: string }> = [
  { page: "daemons", href: "#/", label: "Daemons" },
  { page: "graph", href: "#/graph", label: "Graph" },
  { page: "jobs", href: "#/jobs", label: "Jobs" },
  { page: "events", href: "#/events", label: "Events" },
  { page: "nodes", href: "#/nodes", label: "Nodes" },
];

function Probe({
  label,
  report,
  okText,
}: {
  label: string;
  report: ProbeReport | null;
  okText: string;
}) {
  if (!report) return <span class="probe">{label}: …</span>;
  const reasons = report.reasons.join("; ");
  const warnings = report.warnings?.join("; ") ?? "";
  return (
    <span
      class={report.ok ? "probe probe-ok" : "probe probe-bad"}
      data-probe={label.toLowerCase()}
      title={reasons || warnings || okText}
    >
      <span class="dot" aria-hidden="true" />
      {label}: <strong>{report.ok ? okText : `not ${okText}`}</strong>
      {!report.ok && reasons ? <span class="probe-reasons">{reasons}</span> : null}
      {report.ok && warnings ? <span class="probe-reasons">{warnings}</span> : null}
    </span>
  );
}

/** The bar at the top: navigation, the counts, liveness and readiness, the stream's state. */
export function Header({ route }: { route: Route }) {
  useLive((l) => l.daemonsVersion);
  const liveness = useLive((l) => l.liveness);
  const readiness = useLive((l) => l.readiness);
  const connection = useLive((l) => l.connection);

  let running = 0;
  let failed = 0;
  let backoff = 0;
  let waiting = 0;
  let other = 0;
  for (const s of live.daemons.values()) {
    if (s.state === "running" || s.state === "paused") running++;
    else if (s.state === "failed") failed++;
    else if (s.state === "backoff") backoff++;
    else if (s.state === "waiting" || s.state === "starting") waiting++;
    else other++;
  }

  return (
    <header class="top">
      <div class="top-row">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true">
            ◎
          </span>{" "}
          ringmaster
        </a>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.page} href={p.href} aria-current={route.page === p.page ? "page" : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span class={`connection connection-${connection}`} role="status">
          <span class="dot" aria-hidden="true" />
          {connection === "live"
            ? "live"
            : connection === "reconnecting"
              ? "reconnecting…"
              : "connecting…"}
        </span>
      </div>
      <div class="summary">
        <ul class="counts" aria-label="Daemons">
          <li class="counts-label" aria-hidden="true">
            Daemons
          </li>
          <li class="count-running" data-count="running">
            <strong>{running}</strong> running
          </li>
          <li class="count-failed" data-count="failed">
            <strong>{failed}</strong> failed
          </li>
          <li class="count-backoff" data-count="backoff">
            <strong>{backoff}</strong> in backoff
          </li>
          <li class="count-waiting" data-count="waiting">
            <strong>{waiting}</strong> waiting
          </li>
          {other > 0 ? (
            <li class="count-other">
              <strong>{other}</strong> stopped
            </li>
          ) : null}
        </ul>
        <div class="probes">
          <Probe label="Liveness" report={liveness} okText="live" />
          <Probe label="Readiness" report={readiness} okText="ready" />
          <button type="button" class="action action-shutdown" onClick={() => shutDownManager()}>
            Shut down
          </button>
        </div>
      </div>
    </header>
  );
}
