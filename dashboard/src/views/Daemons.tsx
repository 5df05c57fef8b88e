import { Component } from "preact";
import { useState } from "preact/hooks";
import { FleetCharts } from "../charts/HistoryCharts";
import { RunningJobs } from "../charts/RunningJobs";
import { Ago, HealthBadge, StateBadge, Uptime } from "../components/Badges";
import { Controls } from "../components/Controls";
import { IsolationTag } from "../components/Isolation";
import { daemonHref, useLive } from "../hooks";
import { live } from "../live";
import { DAEMON_STATES, type DaemonStatus } from "../types";

interface Filters {
  category: string;
  state: string;
  text: string;
}

/** Kept across page changes, so coming back from a daemon keeps the filter. */
let savedFilters: Filters = { category: "", state: "", text: "" };

function matches(s: DaemonStatus, f: Filters, text: string): boolean {
  if (f.category && s.category !== f.category) return false;
  if (f.state && s.state !== f.state) return false;
  if (!text) return true;
  return (
    s.name.toLowerCase().includes(text) ||
    s.category.toLowerCase().includes(text) ||
    s.description.toLowerCase().includes(text) ||
    (s.lastError?.toLowerCase().includes(text) ?? false) ||
    s.health.message.toLowerCase().includes(text)
  );
}

/** The daemons table: one row each, updated in place from the stream, with filters. */
export function DaemonsView() {
  useLive((l) => l.daemonsVersion);
  const loaded = useLive((l) => l.loaded);
  const loadError = useLive((l) => l.loadError);
  const [filters, setFiltersState] = useState(savedFilters);
  const setFilters = (next: Partial<Filters>) => {
    savedFilters = { ...filters, ...next };
    setFiltersState(savedFilters);
  };

  const all = live.names.map((n) => live.daemons.get(n)).filter((s) => s !== undefined);
  const categories = [...new Set(all.map((s) => s.category))].sort();
  const text = filters.text.trim().toLowerCase();
  const shown = all.filter((s) => matches(s, filters, text));
  const filtered = filters.category !== "" || filters.state !== "" || text !== "";

  return (
    <section aria-labelledby="daemons-title">
      <div class="overview">
        <FleetCharts />
        <RunningJobs />
      </div>
      <div class="section-head">
        <h1 id="daemons-title">Daemons</h1>
        <form class="filters" aria-label="Filter daemons" onSubmit={(e) => e.preventDefault()}>
          <label>
            <span>Category</span>
            <select
              value={filters.category}
              onChange={(e) => setFilters({ category: e.currentTarget.value })}
            >
              <option value="">all</option>
              {categories.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>State</span>
            <select
              value={filters.state}
              onChange={(e) => setFilters({ state: e.currentTarget.value })}
            >
              <option value="">all</option>
              {DAEMON_STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label class="grow">
            <span>Search</span>
            <input
              type="search"
              placeholder="name, category, error…"
              value={filters.text}
              onInput={(e) => setFilters({ text: e.currentTarget.value })}
            />
          </label>
          {filtered ? (
            <button
              type="button"
              class="secondary"
              onClick={() => setFilters({ category: "", state: "", text: "" })}
            >
              Clear
            </button>
          ) : null}
        </form>
      </div>
      {loadError ? (
        <p class="error-text" role="alert">
          Cannot load daemons: {loadError}
        </p>
      ) : null}
      {!loaded && !loadError ? <p class="muted">Loading…</p> : null}
      {loaded ? (
        <p class="muted small" aria-live="polite">
          {filtered ? `${shown.length} of ${all.length} daemons` : `${all.length} daemons`}
        </p>
      ) : null}
      <div class="table-wrap">
        <table class="daemons">
          <colgroup>
            <col class="col-name" />
            <col class="col-category" />
            <col class="col-state" />
            <col class="col-health" />
            <col class="col-restarts" />
            <col class="col-uptime" />
            <col class="col-heartbeat" />
            <col class="col-error" />
            <col class="col-actions" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Daemon</th>
              <th scope="col">Category</th>
              <th scope="col">State</th>
              <th scope="col">Health</th>
              <th scope="col" class="num">
                Restarts
              </th>
              <th scope="col">Uptime</th>
              <th scope="col">Heartbeat</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <Row key={s.name} status={s} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One daemon's row; redrawn only when its status object is replaced. */
class Row extends Component<{ status: DaemonStatus }> {
  override shouldComponentUpdate(next: { status: DaemonStatus }): boolean {
    return next.status !== this.props.status;
  }

  override render() {
    const s = this.props.status;
    const up = (s.state === "running" || s.state === "paused") && s.startedAt !== null;
    return (
      <tr data-daemon={s.name} data-state={s.state} class={`row-${s.state}`}>
        <th scope="row" data-label="Daemon">
          <a href={daemonHref(s.name)} class="daemon-link">
            {s.name}
          </a>{" "}
          <IsolationTag where={s.isolation} />
          {s.deprecated ? (
            <span class="tag tag-warn" title={s.deprecated}>
              deprecated
            </span>
          ) : null}
          {s.enabled ? null : <span class="tag">disabled</span>}
        </th>
        <td data-label="Category" class="category">
          {s.category}
        </td>
        <td data-label="State">
          <StateBadge state={s.state} />
          {s.state === "backoff" && s.nextRestartAt !== null ? (
            <span class="sub">
              restart {s.restartAttempt}/{s.maxRestarts} <Ago at={s.nextRestartAt} />
            </span>
          ) : null}
          {s.state === "waiting" && s.waitingOn.length > 0 ? (
            <span class="sub">on {s.waitingOn.join(", ")}</span>
          ) : null}
        </td>
        <td data-label="Health">
          <HealthBadge health={s.health} />
        </td>
        <td data-label="Restarts" class="num" data-testid="restarts">
          {s.restarts}
        </td>
        <td data-label="Uptime">
          {up ? <Uptime since={s.startedAt as number} /> : <span class="muted">—</span>}
        </td>
        <td data-label="Heartbeat">
          <Ago at={s.lastHeartbeatAt} />
        </td>
        <td data-label="Last error" class="error-cell">
          {s.lastError ? (
            <span title={s.lastError}>
              {s.lastError} {s.lastErrorAt !== null ? <Ago at={s.lastErrorAt} /> : null}
            </span>
          ) : (
            <span class="muted">—</span>
          )}
        </td>
        <td data-label="Actions">
          <Controls name={s.name} state={s.state} dependents={s.dependents} />
        </td>
      </tr>
    );
  }
}
