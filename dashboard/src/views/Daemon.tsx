import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { DaemonCharts } from "../charts/HistoryCharts";
import { Ago, HealthBadge, StateBadge } from "../components/Badges";
import { Controls } from "../components/Controls";
import { clock, formatMs, fullTime, show, showDetail } from "../format";
import { useLive } from "../hooks";
import { live } from "../live";
import type { DaemonDetail, DaemonStatus, HealthReport, StateChange } from "../types";
import { SpecCard, StatusCard } from "./DaemonCards";
import { Logs } from "./DaemonLogs";

/** One daemon: status and controls, spec, config with sources, health, transitions, live logs. */
export function DaemonView({ name }: { name: string }) {
  useLive((l) => l.daemonsVersion);
  const [detail, setDetail] = useState<DaemonDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [transitions, setTransitions] = useState<StateChange[]>([]);

  useEffect(() => {
    let current = true;
    setDetail(null);
    setError(null);
    const load = () =>
      getJson<DaemonDetail>(`/api/daemons/${encodeURIComponent(name)}`).then(
        (d) => {
          if (!current) return;
          setDetail(d);
          setTransitions(d.transitions);
        },
        (e: Error) => current && setError(e.message),
      );
    void load();
    const off = live.on("state", (change) => {
      if (change.name.toLowerCase() !== name.toLowerCase()) return;
      setTransitions((list) => [...list, change].slice(-50));
    });
    return () => {
      current = false;
      off();
    };
  }, [name]);

  if (error)
    return (
      <section>
        <p>
          <a href="#/">← All daemons</a>
        </p>
        <p class="error-text" role="alert">
          {error}
        </p>
      </section>
    );
  if (!detail) return <p class="muted">Loading {name}…</p>;

  // The live status wins over the detail's snapshot.
  const s: DaemonStatus = live.daemons.get(detail.name) ?? detail;

  return (
    <section aria-labelledby="daemon-title" class="daemon-page">
      <p>
        <a href="#/">← All daemons</a>
      </p>
      <div class="section-head">
        <h1 id="daemon-title">
          {s.name} <StateBadge state={s.state} />
        </h1>
        <Controls name={s.name} state={s.state} dependents={s.dependents} all />
      </div>
      <p class="description">{s.description}</p>
      <DaemonCharts name={s.name} />
      {s.deprecated ? <p class="warn-text">Deprecated: {s.deprecated}</p> : null}

      <div class="cards">
        <StatusCard s={s} />

        <HealthCard name={s.name} health={s.health} detail={detail} />

        <SpecCard s={s} detail={detail} />
      </div>

      <ConfigTable detail={detail} />
      <Transitions list={transitions} />
      <Logs name={s.name} />
    </section>
  );
}

function HealthCard({
  name,
  health,
  detail,
}: {
  name: string;
  health: HealthReport;
  detail: DaemonDetail;
}) {
  const [checked, setChecked] = useState<HealthReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = checked && (checked.checkedAt ?? 0) >= (health.checkedAt ?? 0) ? checked : health;
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      setChecked(await getJson<HealthReport>(`/api/daemons/${encodeURIComponent(name)}/health`));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const details = Object.entries(shown.details ?? {});
  return (
    <article class="card">
      <h2>Health</h2>
      <dl>
        <dt>Verdict</dt>
        <dd>
          <HealthBadge health={shown} />
        </dd>
        <dt>Checked</dt>
        <dd>
          <Ago at={shown.checkedAt} empty="never" /> <span class="muted">({shown.source})</span>
        </dd>
        <dt>Checks</dt>
        <dd>
          {detail.options.hasHealthHook
            ? `hook every ${formatMs(detail.options.healthInterval)}, timeout ${formatMs(detail.options.healthTimeout)}, unhealthy after ${detail.options.unhealthyThreshold}`
            : "derived from state and cycle errors"}
        </dd>
        {details.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{showDetail(k, v)}</dd>
          </Fragment>
        ))}
      </dl>
      <button type="button" class="secondary" disabled={busy} onClick={check}>
        {busy ? "Checking…" : "Check now"}
      </button>
      {error ? <p class="error-text">{error}</p> : null}
    </article>
  );
}

function ConfigTable({ detail }: { detail: DaemonDetail }) {
  const { values, sources } = detail.config;
  // Older servers send no `changes`: then nothing is known to wait for the next start.
  const changes = detail.config.changes ?? {};
  const keys = [...new Set([...Object.keys(values), ...Object.keys(sources)])].sort();
  const resolvedValue = (key: string): unknown => {
    if (key in values) return values[key];
    if (key === "enabled") return detail.enabled;
    if (key === "autoStart") return detail.autoStart;
    if (key === "interval") return detail.schedule.interval;
    if (key === "cron") return detail.schedule.cron;
    return undefined;
  };
  return (
    <article class="card wide">
      <h2>Resolved config</h2>
      {keys.length === 0 ? (
        <p class="muted">No config.</p>
      ) : (
        <div class="table-wrap">
          <table class="kv">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Running with</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const source = sources[k];
                return (
                  <tr key={k}>
                    <th scope="row">
                      <code>{k}</code>
                    </th>
                    <td>
                      <code>{show(resolvedValue(k))}</code>
                      {k in changes ? (
                        <span class="sub" data-pending={k}>
                          pending: <code>{show(changes[k]?.next)}</code> (applies at the next start)
                        </span>
                      ) : null}
                    </td>
                    <td>
                      <span class={`source source-${source?.kind ?? "unknown"}`}>
                        {source?.kind ?? "—"}
                      </span>
                      {source?.detail ? <span class="muted"> {source.detail}</span> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

function Transitions({ list }: { list: StateChange[] }) {
  return (
    <article class="card wide">
      <h2>Recent state transitions</h2>
      {list.length === 0 ? (
        <p class="muted">None recorded yet.</p>
      ) : (
        <ol class="transitions" reversed>
          {[...list].reverse().map((t) => (
            <li key={`${t.at}-${t.from}-${t.to}`}>
              <time dateTime={new Date(t.at).toISOString()} title={fullTime(t.at)}>
                {clock(t.at)}
              </time>{" "}
              <StateBadge state={t.from} /> → <StateBadge state={t.to} />
              {t.reason ? <span class="muted"> {t.reason}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
