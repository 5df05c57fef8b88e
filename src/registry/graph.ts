/**
 * The one dependency graph of a registry. Start order, stop order, "which dependents must stop",
 * cycle reports and the drawn graph all come from here (STYLE.md: one graph, used everywhere).
 *
 * Edges point from a daemon to what it depends on. Unknown dependency names are ignored here
 * (`validateConfig` reports them); a name declared twice keeps its first declaration.
 * The graph is immutable, so every derived order is computed once and copied out.
 */
export interface DependencyGraph {
  /** Every daemon, in declaration order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** Direct dependencies that are declared, in the order they were listed. */
  dependenciesOf(name: string): string[];
  /** Direct dependents, in declaration order. */
  dependentsOf(name: string): string[];
  /**
   * Topological levels: level 0 has no (known) dependencies; level n depends only on levels < n.
   * Each level is in declaration order. Members of a cycle, and daemons that depend on one
   * (directly or not), can never start and are omitted (see `findCycles`).
   */
  levels(): string[][];
  /**
   * A start order: every daemon after its dependencies; among daemons free to go next, the one
   * declared first goes first (so a registry declared in a valid order keeps that order).
   * Omits what `levels()` omits.
   */
  topologicalOrder(): string[];
  /** The stop order: `topologicalOrder()` reversed, dependents before their dependencies. */
  reverseOrder(): string[];
  /** The given names plus all their transitive dependencies. */
  closure(names: Iterable<string>): Set<string>;
  /** All transitive dependents of the given names, excluding the given names themselves. */
  dependentsClosure(names: Iterable<string>): Set<string>;
  /**
   * One cycle per strongly connected component, as a path along "depends on" edges with the
   * first name repeated at the end: `["a", "b", "c", "a"]` means a → b → c → a. A daemon that
   * depends on itself is `["a", "a"]`. Starts at the earliest declared member.
   */
  findCycles(): string[][];
  /**
   * Draws the graph. `text`: by level, one daemon a line with `← deps`. `mermaid`: a flowchart
   * with edges dependency --> dependent. `dot`: `digraph ringmaster`. `states` labels each daemon
   * with its state (and colours it in mermaid/dot); `categories` groups daemons by category.
   */
  render(
    format: "text" | "mermaid" | "dot",
    options?: { states?: Record<string, string>; categories?: boolean },
  ): string;
}

export interface GraphNodeInput {
  name: string;
  dependsOn: readonly string[];
  category?: string;
}

/** Builds the graph of `specs` (daemon specs, or anything with a name and dependencies). */
export function createGraph(specs: ReadonlyArray<GraphNodeInput>): DependencyGraph {
  const index = new Map<string, number>();
  const names: string[] = [];
  const categories: string[] = [];
  const declared: ReadonlyArray<string>[] = [];
  for (const spec of specs) {
    if (index.has(spec.name)) continue;
    index.set(spec.name, names.length);
    names.push(spec.name);
    categories.push(spec.category ?? "misc");
    declared.push(spec.dependsOn);
  }
  const n = names.length;
  // deps[i]: indices i depends on (known, deduplicated, listed order); dependents[i]: sorted.
  const deps: number[][] = declared.map((list) => {
    const out: number[] = [];
    for (const dep of list) {
      const j = index.get(dep);
      if (j !== undefined && !out.includes(j)) out.push(j);
    }
    return out;
  });
  const dependents: number[][] = names.map(() => []);
  for (let i = 0; i < n; i++) for (const j of deps[i]!) dependents[j]!.push(i);

  let levelsCache: number[][] | undefined;
  let orderCache: number[] | undefined;
  let cyclesCache: string[][] | undefined;

  const computeLevels = (): number[][] => {
    if (levelsCache) return levelsCache;
    const remaining = deps.map((d) => d.length);
    let current: number[] = [];
    for (let i = 0; i < n; i++) if (remaining[i] === 0) current.push(i);
    const result: number[][] = [];
    while (current.length > 0) {
      result.push(current);
      const next: number[] = [];
      for (const i of current) {
        for (const d of dependents[i]!) if (--remaining[d]! === 0) next.push(d);
      }
      next.sort((a, b) => a - b);
      current = next;
    }
    levelsCache = result;
    return result;
  };

  const computeOrder = (): number[] => {
    if (orderCache) return orderCache;
    const remaining = deps.map((d) => d.length);
    const heap = new MinHeap();
    for (let i = 0; i < n; i++) if (remaining[i] === 0) heap.push(i);
    const order: number[] = [];
    while (heap.size > 0) {
      const i = heap.pop();
      order.push(i);
      for (const d of dependents[i]!) if (--remaining[d]! === 0) heap.push(d);
    }
    orderCache = order;
    return order;
  };

  const computeCycles = (): string[][] => {
    if (cyclesCache) return cyclesCache;
    const components = stronglyConnected(n, deps);
    const cycles: { start: number; path: string[] }[] = [];
    for (const members of components) {
      const start = Math.min(...members);
      if (members.length === 1 && !deps[start]!.includes(start)) continue;
      cycles.push({ start, path: cyclePath(start, new Set(members), deps).map((i) => names[i]!) });
    }
    cycles.sort((a, b) => a.start - b.start);
    cyclesCache = cycles.map((c) => c.path);
    return cyclesCache;
  };

  const walk = (from: Iterable<string>, edges: number[][]): Set<number> => {
    const seen = new Set<number>();
    const stack: number[] = [];
    for (const name of from) {
      const i = index.get(name);
      if (i !== undefined && !seen.has(i)) {
        seen.add(i);
        stack.push(i);
      }
    }
    while (stack.length > 0) {
      for (const j of edges[stack.pop()!]!) {
        if (!seen.has(j)) {
          seen.add(j);
          stack.push(j);
        }
      }
    }
    return seen;
  };

  const graph: DependencyGraph = {
    names: Object.freeze([...names]),
    has: (name) => index.has(name),
    dependenciesOf(name) {
      const i = index.get(name);
      return i === undefined ? [] : deps[i]!.map((j) => names[j]!);
    },
    dependentsOf(name) {
      const i = index.get(name);
      return i === undefined ? [] : dependents[i]!.map((j) => names[j]!);
    },
    levels: () => computeLevels().map((level) => level.map((i) => names[i]!)),
    topologicalOrder: () => computeOrder().map((i) => names[i]!),
    reverseOrder: () =>
      computeOrder()
        .map((i) => names[i]!)
        .reverse(),
    closure(input) {
      const given = [...input];
      const result = new Set(given);
      for (const i of walk(given, deps)) result.add(names[i]!);
      return result;
    },
    dependentsClosure(input) {
      const given = new Set(input);
      const result = new Set<string>();
      for (const i of walk(given, dependents)) if (!given.has(names[i]!)) result.add(names[i]!);
      return result;
    },
    findCycles: () => computeCycles().map((cycle) => [...cycle]),
    render(format, options = {}) {
      const view: RenderView = {
        names,
        categories,
        deps,
        levels: computeLevels(),
        cycles: computeCycles(),
        states: options.states,
        byCategory: options.categories === true,
      };
      if (format === "text") return renderText(view);
      if (format === "mermaid") return renderMermaid(view);
      if (format === "dot") return renderDot(view);
      throw new TypeError(
        `render: expected format "text", "mermaid" or "dot", found ${JSON.stringify(format)}`,
      );
    },
  };
  return Object.freeze(graph);
}

/** A binary min-heap of indices: the next daemon to start is the earliest declared one. */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }
  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/** Tarjan's algorithm, iterative (no recursion limit on long chains). */
function stronglyConnected(n: number, edges: number[][]): number[][] {
  const order = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    const frames: { node: number; edge: number }[] = [{ node: root, edge: 0 }];
    order[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = true;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const v = frame.node;
      const out = edges[v]!;
      if (frame.edge < out.length) {
        const w = out[frame.edge++]!;
        if (order[w] === -1) {
          order[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          frames.push({ node: w, edge: 0 });
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, order[w]!);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node]!, low[v]!);
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    }
  }
  return components;
}

/** The shortest path start → … → start inside one strongly connected component (BFS). */
function cyclePath(start: number, members: Set<number>, edges: number[][]): number[] {
  if (edges[start]!.includes(start)) return [start, start];
  const previous = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of edges[v]!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const back: number[] = [];
        for (let at = v; at !== start; at = previous.get(at)!) back.push(at);
        return [start, ...back.reverse(), start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

interface RenderView {
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

function renderText(view: RenderView): string {
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

function renderMermaid(view: RenderView): string {
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

function renderDot(view: RenderView): string {
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
