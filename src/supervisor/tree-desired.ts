/**
 * The tree's two sets: the daemons asked for directly (requested) and the daemons that should run
 * (desired: the requested ones and everything they depend on), with who pulled each dependency in.
 * Pure bookkeeping over the dependency graph; nothing here starts or stops a daemon.
 */
import type { DependencyGraph } from "../registry/graph.js";

export class DesiredSet {
  /** Daemons asked for directly. */
  readonly requested = new Set<string>();
  /** Daemons that should run: the requested ones and everything they depend on. */
  desired = new Set<string>();
  private readonly pulledIn = new Map<string, Set<string>>();

  constructor(private readonly graph: DependencyGraph) {}

  /** Adds `names` to the requested set; the desired set becomes their closure. Returns the additions. */
  request(names: readonly string[]): string[] {
    for (const name of names) this.requested.add(name);
    const next = this.graph.closure(this.requested);
    this.pulledIn.clear();
    for (const name of this.requested) {
      for (const dep of this.graph.closure([name])) {
        if (dep === name || this.requested.has(dep)) continue;
        const set = this.pulledIn.get(dep) ?? new Set<string>();
        this.pulledIn.set(dep, set);
        set.add(name);
      }
    }
    const added = [...next].filter((n) => !this.desired.has(n));
    this.desired = next;
    return added;
  }

  /** No longer requested, and no longer desired (its dependencies stay as they are). */
  drop(name: string): void {
    this.requested.delete(name);
    this.desired.delete(name);
  }

  /** The requested daemons that pulled `name` in (empty when it was requested itself or not at all). */
  pulledInBy(name: string): string[] {
    return [...(this.pulledIn.get(name) ?? [])];
  }
}
