/** The Status and Spec cards of a daemon's page. */
import { Ago, StateBadge, Uptime } from "../components/Badges";
import { IsolationFacts } from "../components/Isolation";
import { formatMs, show } from "../format";
import { daemonHref } from "../hooks";
import type { DaemonDetail, DaemonStatus } from "../types";

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

/** Where the daemon is now: state, uptime, restarts, heartbeat, cycles, isolation, stalls, errors. */
export function StatusCard({ s }: { s: DaemonStatus }) {
  const up = (s.state === "running" || s.state === "paused") && s.startedAt !== null;
  return (
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
          {s.lastCycleDurationMs !== null ? `, last took ${formatMs(s.lastCycleDurationMs)}` : ""})
        </dd>
        <IsolationFacts where={s.isolation} />
        <dt>Loop stalls</dt>
        <dd data-testid="detail-stalls">
          {s.stalls ?? 0}
          {s.lastStall ? (
            <>
              {" "}
              (last blocked the event loop {formatMs(s.lastStall.ms)} <Ago at={s.lastStall.at} />)
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
  );
}

/** What the daemon is: category, graph neighbours, events, schedule, restart policy, timeouts. */
export function SpecCard({ s, detail }: { s: DaemonStatus; detail: DaemonDetail }) {
  const restart = detail.options.restart;
  return (
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
              {formatMs(restart.initialDelay)} ×{restart.factor} up to {formatMs(restart.maxDelay)}
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
          {detail.options.cycleTimeout ? `, cycle ${formatMs(detail.options.cycleTimeout)}` : ""}
        </dd>
        <dt>Enabled</dt>
        <dd>
          {s.enabled ? "yes" : "no"}, auto-start {s.autoStart ? "yes" : "no"}, scope{" "}
          {detail.options.scope ?? "—"}
        </dd>
      </dl>
    </article>
  );
}
