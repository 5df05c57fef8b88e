/**
 * The one dependency graph of a registry. Start order, stop order, "which dependents must stop",
 * cycle reports and the drawn graph all come from here (STYLE.md: one graph, used everywhere).
 *
 * Edges point from a daemon to what it depends on. Unknown dependency names are ignored here
 * (`validateConfig` reports them); a name declared twice keeps its first declaration.
 * The graph is immutable, so every derived order is computed once and copied out.
 */
import { cyclePath, MinHeap, stronglyConnected } from "./graph-algorithms.js";
import { type RenderView, renderDot, renderMermaid, renderText } from "./graph-render.js";

/** A registry's dependency graph: immutable, every derived order computed once and copied out. */
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

/** The graph's nodes by declaration index: `deps[i]` is what `i` depends on, `dependents[i]` the reverse. */
interface IndexedNodes {
  index: Map<string, number>;
  names: string[];
  categories: string[];
  /** Known, deduplicated dependencies in listed order. */
  deps: number[][];
  /** In declaration order. */
  dependents: number[][];
}

/** Numbers the nodes (first declaration wins) and resolves dependency names to indices. */
function indexNodes(specs: ReadonlyArray<GraphNodeInput>): IndexedNodes {
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
  const deps: number[][] = declared.map((list) => {
    const out: number[] = [];
    for (const dep of list) {
      const j = index.get(dep);
      if (j !== undefined && !out.includes(j)) out.push(j);
    }
    return out;
  });
  const dependents: number[][] = names.map(() => []);
  for (let i = 0; i < names.length; i++) for (const j of deps[i]!) dependents[j]!.push(i);
  return { index, names, categories, deps, dependents };
}

/** Builds the graph of `specs` (daemon specs, or anything with a name and dependencies). */
export function createGraph(specs: ReadonlyArray<GraphNodeInput>): DependencyGraph {
  const { index, names, categories, deps, dependents } = indexNodes(specs);
  const n = names.length;

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
