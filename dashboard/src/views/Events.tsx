import { useEffect, useState } from "preact/hooks";
import { refusal } from "../actions";
import { getJson, post } from "../api";
import { Ago } from "../components/Badges";
import { show } from "../format";
import { daemonHref, useLive } from "../hooks";
import { live } from "../live";
import { notify } from "../notices";
import type { DeadLetter } from "../types";

/** Events shown (the page keeps more for filtering). */
const EVENTS_SHOWN = 100;

/** Recent events on the bus (live) and the dead letters, with re-delivery. */
export function EventsView() {
  const events = useLive((l) => l.events);
  const [type, setType] = useState("");
  const types = [...new Set(events.map((e) => e.type))].sort();
  const shown = (type ? events.filter((e) => e.type === type) : events).slice(0, EVENTS_SHOWN);

  return (
    <section aria-labelledby="events-title">
      <div class="section-head">
        <h1 id="events-title">Events</h1>
      </div>
      <DeadLetters />
      <article class="card wide" aria-labelledby="recent-title">
        <div class="section-head">
          <h2 id="recent-title">Recent events</h2>
          <label>
            <span>Type </span>
            <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option value="">all</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        </div>
        {shown.length === 0 ? (
          <p class="muted">No events yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="events">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Type</th>
                  <th scope="col">Source</th>
                  <th scope="col">Payload</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.id}>
                    <td data-label="When">
                      <Ago at={e.time} />
                    </td>
                    <td data-label="Type">
                      <code>{e.type}</code>
                    </td>
                    <td data-label="Source">
                      {live.daemons.has(e.source) ? (
                        <a href={daemonHref(e.source)}>{e.source}</a>
                      ) : (
                        e.source
                      )}
                    </td>
                    <td data-label="Payload" class="payload">
                      <code>{show(e.payload)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </article>
    </section>
  );
}

function DeadLetters() {
  const [letters, setLetters] = useState<DeadLetter[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = async () => {
    try {
      setLetters((await getJson<DeadLetter[]>("/api/dead-letters")).reverse());
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    return live.on("dead-letter", (letter) => {
      setLetters((all) => [letter, ...(all ?? []).filter((l) => l.id !== letter.id)]);
    });
  }, []);

  const retry = async (letter: DeadLetter) => {
    setBusy(letter.id);
    try {
      await post(`/api/dead-letters/${encodeURIComponent(letter.id)}/retry`);
      notify("ok", `${letter.event.type} re-delivered to ${letter.subscriber}`);
      await load();
    } catch (e) {
      notify("error", `re-delivery of ${letter.event.type} to ${letter.subscriber} ${refusal(e)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <article class="card wide" aria-labelledby="dead-title">
      <div class="section-head">
        <h2 id="dead-title">
          Dead letters <span class="count">{letters?.length ?? 0}</span>
        </h2>
        <button type="button" class="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      {error ? <p class="error-text">{error}</p> : null}
      {letters === null ? (
        <p class="muted">Loading…</p>
      ) : letters.length === 0 ? (
        <p class="muted">No dead letters: every event reached its subscribers.</p>
      ) : (
        <div class="table-wrap">
          <table class="events">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Subscriber</th>
                <th scope="col">Why</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {letters.map((d) => (
                <tr key={d.id} data-dead-letter={d.id}>
                  <td data-label="When">
                    <Ago at={d.at} />
                  </td>
                  <td data-label="Event">
                    <code>{d.event.type}</code> from {d.event.source}
                    <code class="block small">{show(d.event.payload)}</code>
                  </td>
                  <td data-label="Subscriber">
                    <a href={daemonHref(d.subscriber)}>{d.subscriber}</a>
                  </td>
                  <td data-label="Why" class="error-cell">
                    {d.reason} after {d.attempts} attempts: {d.error}
                  </td>
                  <td data-label="Actions">
                    <button
                      type="button"
                      disabled={busy !== null}
                      onClick={() => retry(d)}
                      aria-label={`Re-deliver ${d.event.type} to ${d.subscriber}`}
                    >
                      {busy === d.id ? "Re-delivering…" : "Re-deliver"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}
