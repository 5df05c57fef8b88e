import { describe, expect, it } from "vitest";
import { createGraph } from "../../src/registry/graph.js";
import { SEED_EXTRA, SEED_TABLE, seedRegistry } from "./seed-registry.js";

const node = (name: string, dependsOn: string[] = [], category?: string) => ({
  name,
  dependsOn,
  category,
});

const seedGraph = () => createGraph(seedRegistry());
const seedEdges = [...SEED_TABLE, ...SEED_EXTRA].flatMap(([name, deps]) =>
  deps.map((dep) => [dep, name] as const),
);

describe("createGraph on the seeds' registry", () => {
  it("keeps declaration order and answers direct questions", () => {
    const graph = seedGraph();
    expect(graph.names).toHaveLength(23);
    expect(graph.names[0]).toBe("event_router");
    expect(graph.has("auto_sync")).toBe(true);
    expect(graph.has("nope")).toBe(false);
    expect(graph.dependenciesOf("auto_sync")).toEqual([
      "event_router",
      "data_pipeline",
      "feedback_loop",
    ]);
    expect(graph.dependentsOf("evaluation")).toEqual(["auto_promotion", "model_distribution"]);
    expect(graph.dependenciesOf("nope")).toEqual([]);
  });

  it("puts every daemon in the first level after all its dependencies", () => {
    expect(seedGraph().levels()).toEqual([
      ["event_router"],
      [
        "daemon_watchdog",
        "data_pipeline",
        "feedback_loop",
        "coordinator_health_monitor",
        "idle_resource",
        "cluster_monitor",
        "node_health_monitor",
        "health_server",
        "node_recovery",
        "quality_monitor",
        "distillation",
        "evaluation",
        "unified_promotion",
        "selfplay_coordinator",
        "auto_export",
      ],
      ["auto_sync", "queue_populator", "training_trigger", "cluster_watchdog", "auto_promotion"],
      ["work_queue_monitor", "model_distribution"],
    ]);
  });

  it("orders every dependency before its dependent, else keeps declaration order", () => {
    const order = seedGraph().topologicalOrder();
    expect(new Set(order).size).toBe(23);
    for (const [dep, name] of seedEdges)
      expect(order.indexOf(dep)).toBeLessThan(order.indexOf(name));
    // Waiting daemons (queue_populator, training_trigger) go as soon as their dependency can.
    expect(order).toEqual([
      "event_router",
      "daemon_watchdog",
      "data_pipeline",
      "feedback_loop",
      "auto_sync",
      "coordinator_health_monitor",
      "idle_resource",
      "cluster_monitor",
      "node_health_monitor",
      "health_server",
      "cluster_watchdog",
      "node_recovery",
      "quality_monitor",
      "distillation",
      "evaluation",
      "unified_promotion",
      "auto_promotion",
      "model_distribution",
      "selfplay_coordinator",
      "queue_populator",
      "work_queue_monitor",
      "auto_export",
      "training_trigger",
    ]);
  });

  it("returns the declaration order itself when it is already valid", () => {
    const graph = createGraph([node("a"), node("b", ["a"]), node("c"), node("d", ["b", "c"])]);
    expect(graph.topologicalOrder()).toEqual(["a", "b", "c", "d"]);
    const late = createGraph([node("d", ["b", "c"]), node("c"), node("b", ["a"]), node("a")]);
    expect(late.topologicalOrder()).toEqual(["c", "a", "b", "d"]);
  });

  it("stops dependents before their dependencies", () => {
    const stop = seedGraph().reverseOrder();
    expect(stop).toEqual([...seedGraph().topologicalOrder()].reverse());
    expect(stop.at(-1)).toBe("event_router");
    for (const [dep, name] of seedEdges) expect(stop.indexOf(name)).toBeLessThan(stop.indexOf(dep));
  });

  it("computes the closure of dependencies and of dependents", () => {
    const graph = seedGraph();
    expect(graph.closure(["model_distribution"])).toEqual(
      new Set(["model_distribution", "event_router", "evaluation", "auto_promotion"]),
    );
    expect(graph.closure(["work_queue_monitor", "auto_sync"])).toEqual(
      new Set([
        "work_queue_monitor",
        "auto_sync",
        "event_router",
        "queue_populator",
        "selfplay_coordinator",
        "data_pipeline",
        "feedback_loop",
      ]),
    );
    expect(graph.dependentsClosure(["evaluation"])).toEqual(
      new Set(["auto_promotion", "model_distribution"]),
    );
    expect(graph.dependentsClosure(["evaluation", "auto_promotion"])).toEqual(
      new Set(["model_distribution"]),
    );
    const everyoneElse = graph.dependentsClosure(["event_router"]);
    expect(everyoneElse.size).toBe(22);
    expect(everyoneElse.has("event_router")).toBe(false);
  });

  it("finds no cycle in the seeds' registry", () => {
    expect(seedGraph().findCycles()).toEqual([]);
  });
});

describe("createGraph with unknown names and cycles", () => {
  it("ignores unknown dependencies and keeps the first of duplicate names", () => {
    const graph = createGraph([node("a", ["ghost"]), node("b", ["a", "a"]), node("a", ["b"])]);
    expect(graph.names).toEqual(["a", "b"]);
    expect(graph.dependenciesOf("a")).toEqual([]);
    expect(graph.dependenciesOf("b")).toEqual(["a"]);
    expect(graph.levels()).toEqual([["a"], ["b"]]);
  });

  it("prints each cycle as a path starting at its earliest declared member", () => {
    const graph = createGraph([
      node("ok"),
      node("a", ["b"]),
      node("b", ["c"]),
      node("c", ["a", "ok"]),
      node("self", ["self"]),
      node("x", ["y"]),
      node("y", ["x"]),
      node("downstream", ["c"]),
    ]);
    expect(graph.findCycles()).toEqual([
      ["a", "b", "c", "a"],
      ["self", "self"],
      ["x", "y", "x"],
    ]);
    // Cycle members, and what depends on them, can never start: no level holds them.
    expect(graph.levels()).toEqual([["ok"]]);
    expect(graph.topologicalOrder()).toEqual(["ok"]);
  });

  it("picks the shortest way around a component with several loops", () => {
    const graph = createGraph([
      node("a", ["b", "d"]),
      node("b", ["c"]),
      node("c", ["a"]),
      node("d", ["a"]),
    ]);
    expect(graph.findCycles()).toEqual([["a", "d", "a"]]);
  });

  it("returns copies: callers cannot corrupt the graph", () => {
    const graph = createGraph([node("a"), node("b", ["a"])]);
    graph.levels()[0]?.push("evil");
    graph.topologicalOrder().reverse();
    expect(graph.levels()).toEqual([["a"], ["b"]]);
    expect(graph.topologicalOrder()).toEqual(["a", "b"]);
    expect(Object.isFrozen(graph.names)).toBe(true);
  });

  it("handles long chains and large registries without recursion or slowness", () => {
    const chain = Array.from({ length: 5000 }, (_, i) =>
      node(`d${i}`, i === 0 ? [] : [`d${i - 1}`]),
    );
    chain[0] = node("d0", ["d4999"]);
    const graph = createGraph(chain);
    expect(graph.findCycles()[0]).toHaveLength(5001);

    const wide = Array.from({ length: 89 }, (_, i) =>
      node(`daemon_${i}`, i === 0 ? [] : [`daemon_${Math.floor(i / 3)}`, `daemon_${i - 1}`]),
    );
    const started = performance.now();
    for (let k = 0; k < 200; k++) {
      const g = createGraph(wide);
      g.levels();
      g.reverseOrder();
      g.findCycles();
      g.render("mermaid");
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("DependencyGraph.render", () => {
  it("text: one line per daemon, by level, with its dependencies", () => {
    const text = seedGraph().render("text");
    const lines = text.split("\n");
    expect(lines[0]).toBe("level 0: event_router");
    expect(lines[1]).toMatch(/^level 1: daemon_watchdog +← event_router$/);
    expect(text).toMatch(/^level 2: auto_sync +← event_router, data_pipeline, feedback_loop$/m);
    expect(text).toMatch(/^ +queue_populator +← event_router, selfplay_coordinator$/m);
    expect(text).toMatch(/^level 3: work_queue_monitor +← event_router, queue_populator$/m);
    expect(lines).toHaveLength(23);
  });

  it("text: shows states, categories and cycles", () => {
    const graph = createGraph([
      node("a", [], "core"),
      node("b", ["a"], "sync"),
      node("c", ["d"]),
      node("d", ["c"]),
    ]);
    const text = graph.render("text", { states: { a: "running", b: "waiting" }, categories: true });
    expect(text).toContain("level 0: a (core) [running]");
    expect(text).toMatch(/b \(sync\) \[waiting\] +← a/);
    expect(text).toContain("dependency cycle: c → d → c");
  });

  it("mermaid: a flowchart with every edge from dependency to dependent", () => {
    const mermaid = seedGraph().render("mermaid");
    const lines = mermaid.split("\n");
    expect(lines[0]).toBe("graph TD");
    for (const [dep, name] of seedEdges) expect(lines).toContain(`  ${dep} --> ${name}`);
    expect(lines.filter((l) => l.includes("-->"))).toHaveLength(seedEdges.length);
    expect(lines).toContain('  auto_sync["auto_sync"]');
  });

  it("mermaid: colours states with classDefs and groups categories", () => {
    const graph = createGraph([node("end", [], "core"), node("b", ["end"], "sync")]);
    const mermaid = graph.render("mermaid", {
      states: { end: "running", b: "failed" },
      categories: true,
    });
    expect(mermaid).toContain('d0["end · running"]'); // "end" is a mermaid keyword: renamed id
    expect(mermaid).toContain("  d0 --> b");
    expect(mermaid).toMatch(/classDef state_running fill:#[0-9a-f]{6}/);
    expect(mermaid).toContain("class d0 state_running");
    expect(mermaid).toContain("class b state_failed");
    expect(mermaid).toMatch(/subgraph category_0\["core"\]\n {4}d0\["end · running"\]\n {2}end/);
  });

  it("dot: a digraph with quoted ids and every edge", () => {
    const dot = seedGraph().render("dot", {
      categories: true,
      states: { event_router: "running" },
    });
    const lines = dot.split("\n");
    expect(lines[0]).toBe("digraph ringmaster {");
    expect(lines.at(-1)).toBe("}");
    expect(dot).toContain("rankdir=LR;");
    for (const [dep, name] of seedEdges) expect(lines).toContain(`  "${dep}" -> "${name}";`);
    expect(lines.filter((l) => l.includes("->"))).toHaveLength(seedEdges.length);
    expect(dot).toContain('subgraph "cluster_sync" {');
    expect(dot).toMatch(
      /"event_router" \[label="event_router\\nrunning", style=filled, fillcolor="#[0-9a-f]{6}"\];/,
    );
  });

  it("dot: escapes quotes in names", () => {
    expect(createGraph([node('we"ird')]).render("dot")).toContain('"we\\"ird";');
  });
});
