import type { HistoryView } from "../types";
import { useHistory } from "./history";
import { StateTimeline } from "./StateTimeline";
import { type ChartSeries, cssColour, TimeChart } from "./TimeChart";

/** The colour of each job status's line, from the page's palette. */
const JOB_COLOURS: Record<string, [string, string]> = {
  completed: ["--running", "#1d7a3e"],
  succeeded: ["--running", "#1d7a3e"],
  failed: ["--failed", "#b42323"],
  cancelled: ["--stopped", "#59616c"],
  running: ["--paused", "#2d5fb8"],
  pending: ["--starting", "#8a6100"],
};

function Unavailable({ reason }: { reason: string }) {
  return <p class="muted charts-note">No history: {reason}.</p>;
}

/** Fleet-wide, the last hour: restarts, events/s, dead letters, jobs/s by status. */
export function FleetCharts() {
  const history = useHistory();
  if (history.kind === "loading") return <p class="muted charts-note">Loading the last hour…</p>;
  if (history.kind === "unavailable") return <Unavailable reason={history.reason} />;
  const { t, fleet } = history.view;
  const accent = cssColour("--accent", "#2456c8");
  const jobs: ChartSeries[] = Object.entries(fleet.jobsPerSec).map(([status, values]) => {
    const [name, fallback] = JOB_COLOURS[status] ?? ["--muted", "#5b6470"];
    return { label: status, stroke: cssColour(name, fallback), values };
  });
  return (
    <section class="charts" aria-label="The last hour">
      <TimeChart
        title="Restarts"
        t={t}
        series={[
          { label: "restarts", stroke: cssColour("--backoff", "#b34d00"), values: fleet.restarts },
        ]}
      />
      <TimeChart
        title="Events/s"
        t={t}
        series={[{ label: "published", stroke: accent, values: fleet.eventsPerSec }]}
      />
      <TimeChart
        title="Dead letters"
        t={t}
        series={[
          { label: "held", stroke: cssColour("--failed", "#b42323"), values: fleet.deadLetters },
        ]}
      />
      <TimeChart
        title="Jobs/s by status"
        t={t}
        series={
          jobs.length > 0
            ? jobs
            : [{ label: "none yet", stroke: accent, values: t.map(() => null) }]
        }
      />
    </section>
  );
}

/** One daemon, the last hour: its state timeline, cycle duration and cycle errors. */
export function DaemonCharts({ name }: { name: string }) {
  const history = useHistory(name);
  if (history.kind === "loading") return <p class="muted charts-note">Loading the last hour…</p>;
  if (history.kind === "unavailable") return <Unavailable reason={history.reason} />;
  return <DaemonChartsOf view={history.view} name={name} />;
}

function DaemonChartsOf({ view, name }: { view: HistoryView; name: string }) {
  const d = view.daemons[name];
  const { t } = view;
  if (!d || t.length === 0) return <p class="muted charts-note">No samples of {name} yet.</p>;
  const from = t[0] as number;
  const to = Math.max(t[t.length - 1] as number, Date.now());
  return (
    <section class="charts charts-daemon" aria-label={`${name}, the last hour`}>
      <StateTimeline states={d.states} from={from} to={to} />
      <TimeChart
        title="Cycle duration"
        unit="ms"
        t={t}
        series={[
          { label: "last cycle", stroke: cssColour("--accent", "#2456c8"), values: d.cycleMs },
        ]}
      />
      <TimeChart
        title="Cycle errors"
        t={t}
        series={[{ label: "errors", stroke: cssColour("--failed", "#b42323"), values: d.errors }]}
      />
    </section>
  );
}
