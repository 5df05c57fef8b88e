/**
 * Drawing the dependency graph as text (by level, `← deps`), a Mermaid flowchart or a Graphviz DOT
 * digraph, optionally labelled with daemon states (coloured) and grouped by category. Works on the
 * graph's index view, so drawing never recomputes levels or cycles.
 */

/** What a renderer needs of the graph: names, categories and edges by declaration index. */
export interface RenderView {
  names: readonly string[];
  categories: readonly string[];
  deps: readonly number[][];
  levels: readonly number[][];
  cycles: readonly string[][];
  states: Record<string, string> | undefined;
  byCategory: boolean;
}

/** Daemons that no level holds: cycle members and what depends on them. */
function unplaced(view: RenderView): number[] {
  const placed = new Set(view.levels.flat());
  return view.names.map((_, i) => i).filter((i) => !placed.has(i));
}

export function renderText(view: RenderView): string {
  const { names, deps, states } = view;
  const label = (i: number) => {
    const name = names[i]!;
    const parts = [name];
    if (view.byCategory) parts.push(`(${view.categories[i]})`);
    const state = states?.[name];
    if (state !== undefined) parts.push(`[${state}]`);
    return parts.join(" ");
  };
  const line = (i: number, width: number) => {
    const dependsOn = deps[i]!.map((j) => names[j]!);
    const text = label(i);
    return dependsOn.length === 0 ? text : `${text.padEnd(width)}  ← ${dependsOn.join(", ")}`;
  };
  const width = Math.max(0, ...names.map((_, i) => label(i).length));
  const lines: string[] = [];
  view.levels.forEach((level, n) => {
    const head = `level ${n}: `;
    level.forEach((i, k) => {
      lines.push(`${k === 0 ? head : " ".repeat(head.length)}${line(i, width)}`);
    });
  });
  const rest = unplaced(view);
  if (rest.length > 0) {
    const head = "cycle:   ";
    rest.forEach((i, k) => {
      lines.push(`${k === 0 ? head : " ".repeat(head.length)}${line(i, width)}`);
    });
    for (const cycle of view.cycles) lines.push(`dependency cycle: ${cycle.join(" → ")}`);
  }
  return lines.join("\n");
}

/** Colours of the common daemon states, for mermaid classDefs and DOT fill colours. */
const STATE_COLOURS: Record<string, string> = {
  running: "#c8e6c9",
  starting: "#fff9c4",
  waiting: "#e0e0e0",
  paused: "#bbdefb",
  backoff: "#ffe0b2",
  failed: "#ffcdd2",
  stopping: "#f0f4c3",
  stopped: "#f5f5f5",
  standby: "#d1c4e9",
};
const FALLBACK_COLOUR = "#ffffff";

const MERMAID_RESERVED = new Set([
  "end",
  "graph",
  "flowchart",
  "subgraph",
  "class",
  "classdef",
  "style",
  "click",
  "linkstyle",
  "direction",
]);

function mermaidId(name: string, i: number): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !MERMAID_RESERVED.has(name.toLowerCase())
    ? name
    : `d${i}`;
}

const mermaidText = (text: string) => `"${text.replace(/"/g, "#quot;")}"`;

export function renderMermaid(view: RenderView): string {
  const { names, deps, states } = view;
  const ids = names.map(mermaidId);
  const node = (i: number) => {
    const state = states?.[names[i]!];
    return `${ids[i]}[${mermaidText(state === undefined ? names[i]! : `${names[i]} · ${state}`)}]`;
  };
  const lines = ["graph TD"];
  if (view.byCategory) {
    let group = 0;
    groupBy(view.categories).forEach((members, category) => {
      lines.push(`  subgraph category_${group++}[${mermaidText(category)}]`);
      for (const i of members) lines.push(`    ${node(i)}`);
      lines.push("  end");
    });
  } else {
    for (let i = 0; i < names.length; i++) lines.push(`  ${node(i)}`);
  }
  for (let i = 0; i < names.length; i++) {
    for (const j of deps[i]!) lines.push(`  ${ids[j]} --> ${ids[i]}`);
  }
  if (states) {
    const classes = new Map<string, string>();
    const members = new Map<string, string[]>();
    names.forEach((name, i) => {
      const state = states[name];
      if (state === undefined) return;
      const cls = `state_${state.replace(/[^A-Za-z0-9_]/g, "_")}`;
      classes.set(cls, STATE_COLOURS[state.toLowerCase()] ?? FALLBACK_COLOUR);
      members.set(cls, [...(members.get(cls) ?? []), ids[i]!]);
    });
    classes.forEach((fill, cls) => {
      lines.push(`  classDef ${cls} fill:${fill},stroke:#555`);
      lines.push(`  class ${members.get(cls)!.join(",")} ${cls}`);
    });
  }
  return lines.join("\n");
}

const dotText = (text: string) =>
  `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

export function renderDot(view: RenderView): string {
  const { names, deps, states } = view;
  const node = (i: number) => {
    const name = names[i]!;
    const state = states?.[name];
    if (state === undefined) return `${dotText(name)};`;
    const fill = STATE_COLOURS[state.toLowerCase()] ?? FALLBACK_COLOUR;
    return `${dotText(name)} [label=${dotText(`${name}\n${state}`)}, style=filled, fillcolor=${dotText(fill)}];`;
  };
  const lines = [
    "digraph ringmaster {",
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica"];',
  ];
  if (view.byCategory) {
    groupBy(view.categories).forEach((members, category) => {
      lines.push(`  subgraph ${dotText(`cluster_${category}`)} {`);
      lines.push(`    label=${dotText(category)};`);
      for (const i of members) lines.push(`    ${node(i)}`);
      lines.push("  }");
    });
  } else {
    for (let i = 0; i < names.length; i++) lines.push(`  ${node(i)}`);
  }
  for (let i = 0; i < names.length; i++) {
    for (const j of deps[i]!) lines.push(`  ${dotText(names[j]!)} -> ${dotText(names[i]!)};`);
  }
  lines.push("}");
  return lines.join("\n");
}

/** Indices grouped by value, groups in order of first appearance. */
function groupBy(values: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  values.forEach((value, i) => {
    const group = groups.get(value);
    if (group) group.push(i);
    else groups.set(value, [i]);
  });
  return groups;
}
