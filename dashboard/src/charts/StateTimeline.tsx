import { clock, fullTime } from "../format";
import type { DaemonState } from "../types";

/**
 * A daemon's states over a span as coloured bands (running green, backoff orange, failed red…),
 * one per state held, from `from` to `to` (epoch ms). Each band's title says when and how long.
 */
export function StateTimeline({
  states,
  from,
  to,
}: {
  states: Array<{ at: number; state: DaemonState }>;
  from: number;
  to: number;
}) {
  const span = Math.max(1, to - from);
  const bands = states
    .map((s, i) => ({
      state: s.state,
      start: Math.max(from, s.at),
      end: Math.min(to, states[i + 1]?.at ?? to),
    }))
    .filter((b) => b.end > b.start);
  return (
    <figure class="chart" data-chart="states">
      <figcaption>
        State, {clock(from)} – {clock(to)}
      </figcaption>
      <div class="timeline" role="img" aria-label={describe(bands)}>
        {bands.map((b) => (
          <span
            key={b.start}
            class={`band state-${b.state}`}
            data-state={b.state}
            style={{
              left: `${((b.start - from) / span) * 100}%`,
              width: `${((b.end - b.start) / span) * 100}%`,
            }}
            title={`${b.state} from ${fullTime(b.start)} for ${Math.round((b.end - b.start) / 1000)}s`}
          />
        ))}
      </div>
    </figure>
  );
}

function describe(bands: Array<{ state: DaemonState; start: number; end: number }>): string {
  if (bands.length === 0) return "no state recorded yet";
  return bands.map((b) => `${b.state} from ${clock(b.start)}`).join(", ");
}
