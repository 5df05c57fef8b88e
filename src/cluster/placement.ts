/** A live node as placement sees it. */
export interface PlacementNode {
  id: string;
  /** The cluster daemons it may run. */
  candidates: readonly string[];
}

export interface PlacementInput {
  self: string;
  /** Live nodes, `self` included. */
  nodes: readonly PlacementNode[];
  /** Who holds what, unexpired, as last read (self's own entries come from `held`). */
  holders: ReadonlyMap<string, string>;
  /** What `self` holds now. */
  held: ReadonlySet<string>;
  /** Optional node order per daemon (`cluster.prefer`): earlier nodes take it first. */
  prefer?: Readonly<Record<string, readonly string[]>>;
}

export interface PlacementPlan {
  /** Free daemons `self` may try to acquire, in order: racing nodes may win some of them. */
  acquire: string[];
  /** Stop after this many acquisitions succeed (self's room). */
  limit: number;
  /** Leases `self` should give up so candidates with room take them. */
  shed: string[];
  /** How many leases `self` may hold while every candidate has room. */
  share: number;
}

/**
 * Where cluster daemons should run, decided by each node for itself from the same picture.
 *
 * A node's share is ⌈Σ 1/|candidates(d)|⌉ over the daemons it may run (4 daemons on 2 nodes: 2
 * each). A free daemon is taken by a candidate below its share, the first such one in
 * `prefer[d]` order when set (unlisted nodes after listed ones); when every candidate is at its
 * share, by the least loaded candidate (ties: node id), so no daemon stays unplaced. A node above
 * its share gives up one lease per round, and only one that another candidate has room for.
 * Nothing else moves: a healthy holder within its share keeps its leases.
 */
export function planPlacement(input: PlacementInput): PlacementPlan {
  const { self, held } = input;
  const candidatesOf = new Map<string, string[]>();
  for (const node of input.nodes) {
    for (const daemon of node.candidates) {
      const list = candidatesOf.get(daemon) ?? [];
      list.push(node.id);
      candidatesOf.set(daemon, list);
    }
  }
  const holderOf = (daemon: string): string | undefined =>
    held.has(daemon)
      ? self
      : input.holders.get(daemon) === self
        ? undefined
        : input.holders.get(daemon);

  const load = new Map<string, number>();
  for (const daemon of candidatesOf.keys()) {
    const holder = holderOf(daemon);
    if (holder !== undefined) load.set(holder, (load.get(holder) ?? 0) + 1);
  }
  const shares = new Map<string, number>();
  for (const node of input.nodes) {
    let fraction = 0;
    for (const daemon of node.candidates) fraction += 1 / (candidatesOf.get(daemon)?.length ?? 1);
    // Rounding noise (1/3 + 1/3 + 1/3) must not add a whole lease.
    shares.set(node.id, Math.ceil(fraction - 1e-9));
  }
  const room = (id: string) => (shares.get(id) ?? 0) - (load.get(id) ?? 0);
  const share = shares.get(self) ?? 0;

  const ordered = (daemon: string, ids: readonly string[]): string[] => {
    const order = input.prefer?.[daemon] ?? [];
    const rank = (id: string) => {
      const at = order.indexOf(id);
      return at === -1 ? order.length : at;
    };
    return [...ids].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };

  const shed: string[] = [];
  const before = new Map(load);
  for (const daemon of [...held].sort()) {
    if (room(self) >= 0) break;
    const taker = (candidatesOf.get(daemon) ?? []).find((id) => id !== self && room(id) > 0);
    if (taker === undefined) continue;
    shed.push(daemon);
    load.set(self, (load.get(self) ?? 0) - 1);
    load.set(taker, (load.get(taker) ?? 0) + 1);
  }
  // What is shed is taken on the next round; this round acquires from the loads as they are.
  for (const [id, count] of before) load.set(id, count);
  for (const id of [...load.keys()]) if (!before.has(id)) load.delete(id);

  const acquire: string[] = [];
  const limit0 = Math.max(0, room(self));
  let fallbacks = 0;
  const mine = input.nodes.find((n) => n.id === self)?.candidates ?? [];
  for (const daemon of mine) {
    if (holderOf(daemon) !== undefined) continue;
    const candidates = candidatesOf.get(daemon) ?? [];
    const withRoom = ordered(daemon, candidates).filter((id) => room(id) > 0);
    const taker =
      withRoom.length > 0
        ? input.prefer?.[daemon] !== undefined
          ? withRoom[0]
          : withRoom.includes(self)
            ? self
            : undefined
        : [...candidates].sort(
            (a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a.localeCompare(b),
          )[0];
    if (taker !== self) continue;
    acquire.push(daemon);
    if (withRoom.length === 0) {
      load.set(self, (load.get(self) ?? 0) + 1);
      fallbacks++;
    }
  }
  return { acquire, limit: limit0 + fallbacks, shed, share };
}
