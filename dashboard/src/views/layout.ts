import type { GraphData } from "../types";

/** Sizes of the drawn graph, in SVG user units (px at 100 %). */
export const GRAPH_LAYOUT = {
  nodeWidth: 262,
  nodeHeight: 26,
  rowGap: 8,
  columnGap: 48,
  margin: 16,
  /** Passes of barycentre ordering (down then up) to reduce crossings. */
  sweeps: 4,
};

export interface PlacedNode {
  name: string;
  level: number;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, PlacedNode>;
  width: number;
  height: number;
}

/**
 * Lays the daemons out by dependency level (the server's `levels`: level 0 needs nothing, level
 * n needs something at n-1): one column per level, left to right, top-aligned, each column
 * ordered by the mean position of its neighbours in the previous (then the next) column so edges
 * cross less.
 */
export function layoutByLevel(graph: GraphData): Layout {
  const { nodeWidth, nodeHeight, rowGap, columnGap, margin, sweeps } = GRAPH_LAYOUT;
  const columns = graph.levels.map((level) => [...level]);
  // Nodes in a cycle have no level; give them a column of their own at the end.
  const placed = new Set(columns.flat());
  const unplaced = graph.nodes.map((n) => n.name).filter((n) => !placed.has(n));
  if (unplaced.length > 0) columns.push(unplaced);

  const deps = new Map<string, string[]>();
  const dependents = new Map<string, string[]>();
  for (const e of graph.edges) {
    deps.set(e.from, [...(deps.get(e.from) ?? []), e.to]);
    dependents.set(e.to, [...(dependents.get(e.to) ?? []), e.from]);
  }
  // Columns are drawn from the top (so a tall fleet's roots are in view), and ordered by index.
  const index = new Map<string, number>();
  const reindex = (column: string[]) => {
    column.forEach((n, i) => {
      index.set(n, i);
    });
  };
  for (const column of columns) reindex(column);
  const orderBy = (column: string[], neighbours: Map<string, string[]>) => {
    const key = new Map<string, number>();
    for (const n of column) {
      const around = (neighbours.get(n) ?? []).filter((m) => index.has(m));
      const mean =
        around.length === 0
          ? (index.get(n) ?? 0)
          : around.reduce((sum, m) => sum + (index.get(m) ?? 0), 0) / around.length;
      key.set(n, mean);
    }
    column.sort((a, b) => (key.get(a) ?? 0) - (key.get(b) ?? 0) || a.localeCompare(b));
    reindex(column);
  };
  for (let pass = 0; pass < sweeps; pass++) {
    for (let i = 1; i < columns.length; i++) orderBy(columns[i] as string[], deps);
    for (let i = columns.length - 2; i >= 0; i--) orderBy(columns[i] as string[], dependents);
  }

  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = margin * 2 + tallest * nodeHeight + (tallest - 1) * rowGap;
  const nodes = new Map<string, PlacedNode>();
  columns.forEach((column, level) => {
    const top = margin;
    column.forEach((name, i) => {
      nodes.set(name, {
        name,
        level,
        x: margin + level * (nodeWidth + columnGap),
        y: top + i * (nodeHeight + rowGap),
      });
    });
  });
  const width = margin * 2 + columns.length * nodeWidth + (columns.length - 1) * columnGap;
  return { nodes, width, height };
}
