import { useEffect, useRef, useState } from "preact/hooks";
import { LOG_LEVEL_NUMBERS } from "../../../src/store/types.js";
import { getJson } from "../api";
import { clock, show } from "../format";
import { openLogStream } from "../live";
import { LOG_LEVELS, type LogEntry, type LogLevel } from "../types";

/** Log lines kept on the page. */
const LOGS_KEPT = 500;

/** The daemon's recent logs, then new lines from the stream as they come, at or above a level. */
export function Logs({ name }: { name: string }) {
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
