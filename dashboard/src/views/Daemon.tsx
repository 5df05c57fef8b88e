import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { LOG_LEVEL_NUMBERS } from "../../../src/store/types.js";
import { getJson } from "../api";
import { DaemonCharts } from "../charts/HistoryCharts";
import { Ago, HealthBadge, StateBadge, Uptime } from "../components/Badges";
import { Controls } from "../components/Controls";
import { IsolationFacts } from "../components/Isolation";
import { clock, formatMs, fullTime, show, showDetail } from "../format";
import { daemonHref, useLive } from "../hooks";
import { live, openLogStream } from "../live";
import {
  type DaemonDetail,
  type DaemonStatus,
  type HealthReport,
  LOG_LEVELS,
  type LogEntry,
  type LogLevel,
  type StateChange,
} from "../types";

/** Log lines kept on the page. */
const LOGS_KEPT = 500;

function NameList({ names, empty = "none" }: { names: string[]; empty?: string }) {
  if (names.length === 0) return <span class="muted">{empty}</span>;
  return (
    <ul class="inline-list">
      {names.map((n) => (
        <li key={n}>
          <a href={daemonHref(n)}>{n}</a>
        </li>
      ))}
    </ul>
  );
}

function Words({ words }: { words: string[] }) {
  if (words.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="inline-list">
      {words.map((w) => (
        <li key={w}>
          <code>{w}</code>
        </li>
      ))}
    </ul>
  );
}

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
  const up = (s.state === "running" || s.state === "paused") && s.startedAt !== null;
  const restart = detail.options.restart;

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
        <article class="card">
          <h2>Status</h2>
          <dl>
            <dt>State</dt>
            <dd data-testid="detail-state">
              <StateBadge state={s.state} />
              {s.state === "backoff" && s.nextRestartAt !== null ? (
                <>
                  {" "}
                  restart {s.restartAttempt}/{s.maxRestarts} <Ago at={s.nextRestartAt} />
                </>
              ) : null}
              {s.waitingOn.length > 0 ? <> on {s.waitingOn.join(", ")}</> : null}
            </dd>
            <dt>Uptime</dt>
            <dd>{up ? <Uptime since={s.startedAt as number} /> : "—"}</dd>
            <dt>Restarts</dt>
            <dd data-testid="detail-restarts">
              {s.restarts} (budget {s.restartAttempt}/{s.maxRestarts})
            </dd>
            <dt>Last heartbeat</dt>
            <dd>
              <Ago at={s.lastHeartbeatAt} />
              {s.heartbeat ? <code class="block">{show(s.heartbeat)}</code> : null}
            </dd>
            <dt>Cycles</dt>
            <dd>
              {s.cycles} ({s.cycleErrors} errors
              {s.lastCycleDurationMs !== null
                ? `, last took ${formatMs(s.lastCycleDurationMs)}`
                : ""}
              )
            </dd>
            <IsolationFacts where={s.isolation} />
            <dt>Loop stalls</dt>
            <dd data-testid="detail-stalls">
              {s.stalls ?? 0}
              {s.lastStall ? (
                <>
                  {" "}
                  (last blocked the event loop {formatMs(s.lastStall.ms)}{" "}
                  <Ago at={s.lastStall.at} />)
                </>
              ) : null}
            </dd>
            <dt>Last error</dt>
            <dd class="error-cell">
              {s.lastError ? (
                <>
                  {s.lastError} <Ago at={s.lastErrorAt} />
                </>
              ) : (
                "—"
              )}
            </dd>
            {s.pulledInBy.length > 0 ? (
              <>
                <dt>Pulled in by</dt>
                <dd>
                  <NameList names={s.pulledInBy} />
                </dd>
              </>
            ) : null}
          </dl>
        </article>

        <HealthCard name={s.name} health={s.health} detail={detail} />

        <article class="card">
          <h2>Spec</h2>
          <dl>
            <dt>Category</dt>
            <dd>
              {s.category}
              {s.critical ? <span class="tag">critical</span> : null}
            </dd>
            <dt>Depends on</dt>
            <dd>
              <NameList names={s.dependsOn} />
            </dd>
            <dt>Dependents</dt>
            <dd>
              <NameList names={s.dependents} />
            </dd>
            <dt>Subscribes to</dt>
            <dd>
              <Words words={s.subscribes} />
            </dd>
            <dt>Emits</dt>
            <dd>
              <Words words={s.emits} />
            </dd>
            <dt>Schedule</dt>
            <dd>
              {s.schedule.cron
                ? `cron ${s.schedule.cron}`
                : s.schedule.interval !== null
                  ? `every ${formatMs(s.schedule.interval)}`
                  : detail.options.kind === "subscriber"
                    ? "on events"
                    : "long-running"}
              {detail.options.kind ? <span class="muted"> ({detail.options.kind})</span> : null}
            </dd>
            <dt>Restart policy</dt>
            <dd>
              {restart ? (
                <>
                  {restart.policy}, up to {restart.maxRestarts} restarts,{" "}
                  {formatMs(restart.initialDelay)} ×{restart.factor} up to{" "}
                  {formatMs(restart.maxDelay)}
                  {restart.jitter ? `, jitter ${restart.jitter}` : ""}; budget resets after{" "}
                  {formatMs(restart.resetAfter)} running
                </>
              ) : (
                "—"
              )}
            </dd>
            <dt>Timeouts</dt>
            <dd>
              ready {formatMs(detail.options.readyTimeout)} ({detail.options.readiness}), stop{" "}
              {formatMs(detail.options.stopTimeout)}
              {detail.options.cycleTimeout
                ? `, cycle ${formatMs(detail.options.cycleTimeout)}`
                : ""}
            </dd>
            <dt>Enabled</dt>
            <dd>
              {s.enabled ? "yes" : "no"}, auto-start {s.autoStart ? "yes" : "no"}, scope{" "}
              {detail.options.scope ?? "—"}
            </dd>
          </dl>
        </article>
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

/** The daemon's recent logs, then new lines from the stream as they come, at or above a level. */
function Logs({ name }: { name: string }) {
  const [level, setLevel] = useState<LogLevel>("debug");
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let current = true;
    const buffered: LogEntry[] = [];
    let loaded = false;
    setLines([]);
    setError(null);
    // Lines that arrive while the history loads are kept and added after it.
    const off = openLogStream(name, (line) => {
      if (LOG_LEVEL_NUMBERS[line.level] < LOG_LEVEL_NUMBERS[level]) return;
      const entry: LogEntry = { ...line, daemon: line.name };
      if (!loaded) buffered.push(entry);
      else setLines((all) => [...all, entry].slice(-LOGS_KEPT));
    });
    getJson<LogEntry[]>(
      `/api/daemons/${encodeURIComponent(name)}/logs?limit=200&level=${level}`,
    ).then(
      (history) => {
        if (!current) return;
        loaded = true;
        const newest = history.at(-1)?.at ?? 0;
        setLines([...history, ...buffered.filter((b) => b.at > newest)].slice(-LOGS_KEPT));
      },
      (e: Error) => {
        loaded = true;
        if (current) setError(e.message);
      },
    );
    return () => {
      current = false;
      off();
    };
  }, [name, level]);

  useEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [lines, follow]);

  return (
    <article class="card wide" aria-labelledby="logs-title">
      <div class="section-head">
        <h2 id="logs-title">Logs</h2>
        <div class="filters">
          <label>
            <span>Level</span>
            <select
              value={level}
              onChange={(e) => setLevel(e.currentTarget.value as LogLevel)}
              aria-label="Minimum log level"
            >
              {LOG_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l} and above
                </option>
              ))}
            </select>
          </label>
          <label class="inline">
            <input
              type="checkbox"
              checked={follow}
              onChange={(e) => setFollow(e.currentTarget.checked)}
            />
            Follow
          </label>
        </div>
      </div>
      {error ? <p class="error-text">{error}</p> : null}
      {/* Focusable so the keyboard can scroll it. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
      <div class="logs" ref={box} tabIndex={0} role="log" aria-label={`Logs of ${name}`}>
        {lines.length === 0 ? <p class="muted">No log lines yet.</p> : null}
        {lines.map((l, i) => (
          <div key={l.id ?? `${l.at}-${i}`} class={`log log-${l.level}`}>
            <time dateTime={new Date(l.at).toISOString()}>{clock(l.at)}</time>
            <span class="log-level">{l.level}</span>
            <span class="log-message">{l.message}</span>
            {l.fields && Object.keys(l.fields).length > 0 ? (
              <span class="log-fields">{show(l.fields)}</span>
            ) : null}
          </div>
        ))}
      </div>
    </article>
  );
}
