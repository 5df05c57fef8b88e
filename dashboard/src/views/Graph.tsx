import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson } from "../api";
import { daemonHref, useLive } from "../hooks";
import { live } from "../live";
import { DAEMON_STATES, type GraphData } from "../types";
import { GRAPH_LAYOUT, layoutByLevel } from "./layout";

/** The graph's structure never changes while a manager runs: fetched once per page load. */
let cached: GraphData | undefined;

/**
 * The dependency graph as SVG, one column per level, dependencies on the left. Nodes take their
 * colour from the live state; each is a link to its daemon. Event flows can be drawn too.
 */
export function GraphView() {
  useLive((l) => l.daemonsVersion);
  const [graph, setGraph] = useState(cached);
  const [error, setError] = useState<string | null>(null);
  const [showEvents, setShowEvents] = useState(false);
  const [focus, setFocus] = useState<string | null>(null);

  useEffect(() => {
    if (cached) return;
    getJson<GraphData>("/api/graph").then(
      (g) => {
        cached = g;
        setGraph(g);
      },
      (e: Error) => setError(e.message),
    );
  }, []);

  const layout = useMemo(() => (graph ? layoutByLevel(graph) : undefined), [graph]);

  if (error)
    return (
      <p class="error-text" role="alert">
        Cannot load the graph: {error}
      </p>
    );
  if (!graph || !layout) return <p class="muted">Loading the graph…</p>;

  const counts = new Map<string, number>();
  for (const n of graph.nodes) {
    const state = live.daemons.get(n.name)?.state ?? n.state;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }

  return (
    <section aria-labelledby="graph-title">
      <div class="section-head">
        <h1 id="graph-title">Dependency graph</h1>
        <label class="inline">
          <input
            type="checkbox"
            checked={showEvents}
            onChange={(e) => setShowEvents(e.currentTarget.checked)}
          />
          Show event flows
        </label>
      </div>
      <p class="muted small">
        {graph.nodes.length} daemons in {graph.levels.length} levels; dependencies on the left,
        their dependents to the right. Select a daemon to open it.
      </p>
      {graph.cycles.length > 0 ? (
        <p class="error-text">
          Dependency cycles: {graph.cycles.map((c) => c.join(" → ")).join("; ")}
        </p>
      ) : null}
      <ul class="legend" aria-label="States">
        {DAEMON_STATES.filter((s) => counts.has(s)).map((s) => (
          <li key={s}>
            <span class={`swatch node-${s}`} /> {s} ({counts.get(s)})
          </li>
        ))}
      </ul>
      <figure class="graph-wrap" aria-label="Dependency graph">
        <GraphSvg
          graph={graph}
          layout={layout}
          showEvents={showEvents}
          focus={focus}
          setFocus={setFocus}
        />
      </figure>
    </section>
  );
}

/** The SVG: edges (dependencies, and event flows when asked), then the nodes in their live state. */
function GraphSvg({
  graph,
  layout,
  showEvents,
  focus,
  setFocus,
}: {
  graph: GraphData;
  layout: ReturnType<typeof layoutByLevel>;
  showEvents: boolean;
  focus: string | null;
  setFocus: (name: string | null) => void;
}) {
  const { nodeWidth: w, nodeHeight: h } = GRAPH_LAYOUT;
  const curve = (from: string, to: string) => {
    const a = layout.nodes.get(from);
    const b = layout.nodes.get(to);
    if (!a || !b) return "";
    // From the right edge of the earlier column to the left edge of the later one.
    const [left, right] = a.level <= b.level ? [a, b] : [b, a];
    const x1 = left.x + w;
    const y1 = left.y + h / 2;
    const x2 = right.x;
    const y2 = right.y + h / 2;
    const bend = Math.max(30, (x2 - x1) / 2);
    return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
  };
  const touches = (e: { from: string; to: string }) => focus === e.from || focus === e.to;
  return (
    <svg
      class="graph"
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      width={layout.width}
      height={layout.height}
    >
      <title>Dependency graph of {graph.nodes.length} daemons</title>
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 8 8"
          refX="8"
          refY="4"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L8,4 L0,8 z" class="arrow-head" />
        </marker>
      </defs>
      <g class="edges">
        {graph.edges.map((e) => (
          <path
            key={`${e.from}>${e.to}`}
            d={curve(e.to, e.from)}
            class={touches(e) ? "edge edge-hot" : "edge"}
            marker-end="url(#arrow)"
          />
        ))}
        {showEvents
          ? graph.eventEdges.map((e) => (
              <path
                key={`${e.from}~${e.type}~${e.to}`}
                d={curve(e.from, e.to)}
                class={touches(e) ? "event-edge edge-hot" : "event-edge"}
              >
                <title>
                  {e.from} emits {e.type} → {e.to}
                </title>
              </path>
            ))
          : null}
      </g>
      <g class="nodes">
        {graph.nodes.map((n) => {
          const p = layout.nodes.get(n.name);
          if (!p) return null;
          const status = live.daemons.get(n.name);
          const state = status?.state ?? n.state;
          return (
            <a
              key={n.name}
              href={daemonHref(n.name)}
              data-node={n.name}
              data-state={state}
              class={`node node-${state}`}
              aria-label={`${n.name}: ${state}`}
              onMouseEnter={() => setFocus(n.name)}
              onMouseLeave={() => setFocus(null)}
              onFocus={() => setFocus(n.name)}
              onBlur={() => setFocus(null)}
            >
              <rect x={p.x} y={p.y} width={w} height={h} rx="6" />
              <text x={p.x + 10} y={p.y + h / 2} dominant-baseline="central">
                {n.name}
              </text>
              <text
                x={p.x + w - 8}
                y={p.y + h / 2}
                dominant-baseline="central"
                text-anchor="end"
                class="node-state"
              >
                {state}
              </text>
              <title>
                {n.name} ({n.category}): {state}
                {status?.health ? `, ${status.health.status}` : ""}
              </title>
            </a>
          );
        })}
      </g>
    </svg>
  );
}
