/**
 * The leases one node holds, with their renewal and deadlines (DESIGN.md §8). Each held lease has
 * a renewal deadline, `expiry − safetyMargin`, with expiry counted from the moment the renewal (or
 * acquisition) was *sent*. The deadline is checked against the clock on a timer of its own and
 * before any renewal's answer is trusted; the `DaemonLease` a daemon gets as `ctx.lease` is held
 * only while its holding is the current one and before that deadline, which fences its writes.
 */
import type { Clock, TimerHandle } from "../internal/clock.js";
import type { ClusterStore, HeldLeaseRef } from "../store/cluster-types.js";
import type { StoreAnswer } from "./answer.js";
import type { ClusterTimings } from "./defaults.js";
import { type DaemonLease, LeaseLostError } from "./lease.js";

/** One lease held by this node. */
export interface Holding {
  token: number;
  expiresAt: number;
  deadline: number;
  /** Being given up: its daemon is already stopping. */
  releasing: boolean;
  lease: DaemonLease;
}

export interface HeldLeasesOptions {
  store: Pick<ClusterStore, "renewLeases">;
  /** This node's id: the holder of its leases. */
  node: string;
  clock: Clock;
  timings: ClusterTimings;
  answer: StoreAnswer;
  /** The keeper's counts this moves. */
  stats: { losses: number; renewals: number };
  /**
   * A lease is no longer safe to run under (its deadline passed, or a renewal said it is not
   * ours): stop the daemon at once. Not called for a lease being released.
   */
  onLost(name: string, reason: "deadline" | "lost"): void;
  report(thrown: unknown): void;
}

export class HeldLeases {
  private readonly holdings = new Map<string, Holding>();
  private deadlineTimer: TimerHandle | undefined;

  constructor(private readonly options: HeldLeasesOptions) {}

  get size(): number {
    return this.holdings.size;
  }

  get(name: string): Holding | undefined {
    return this.holdings.get(name);
  }

  names(): string[] {
    return [...this.holdings.keys()];
  }

  /** Holds `name` with `token`, acquired by a statement sent at `sentAt`; returns its lease. */
  hold(name: string, token: number, sentAt: number): DaemonLease {
    const { node, clock, timings } = this.options;
    const holding: Holding = {
      token,
      expiresAt: sentAt + timings.leaseTtl,
      deadline: sentAt + timings.leaseTtl - timings.safetyMargin,
      releasing: false,
      lease: undefined as unknown as DaemonLease,
    };
    const held = () => this.holdings.get(name) === holding && clock.now() < holding.deadline;
    holding.lease = {
      token,
      holder: node,
      get expiresAt() {
        return holding.expiresAt;
      },
      held,
      assertHeld() {
        if (!held()) throw new LeaseLostError(name, token);
      },
    };
    this.holdings.set(name, holding);
    this.armDeadline();
    return holding.lease;
  }

  /** Drops a lease that is no longer safe to run under; the daemon is told at once. */
  lose(name: string, reason: "deadline" | "lost"): void {
    const holding = this.holdings.get(name);
    if (!holding) return;
    this.holdings.delete(name);
    this.options.stats.losses++;
    // A lease being released is already stopping its daemon.
    if (!holding.releasing) this.options.onLost(name, reason);
  }

  /** Forgets `holding` once released; false if it was lost meanwhile (not ours to release). */
  forget(name: string, holding: Holding): boolean {
    if (this.holdings.get(name) !== holding) return false;
    this.holdings.delete(name);
    this.armDeadline();
    return true;
  }

  /** Drops every lease whose deadline passed, then sets the timer for the next deadline. */
  readonly checkDeadlines = (): void => {
    const now = this.options.clock.now();
    for (const [name, holding] of [...this.holdings]) {
      if (now >= holding.deadline) this.lose(name, "deadline");
    }
    this.armDeadline();
  };

  /**
   * Renews everything held in one statement. A lease the answer leaves out is lost; the others
   * get the new expiry, counted from when the statement was sent.
   */
  async renew(): Promise<void> {
    const { store, node, clock, timings, answer, stats, report } = this.options;
    const refs: HeldLeaseRef[] = [...this.holdings].map(([name, h]) => ({ name, token: h.token }));
    if (refs.length === 0) return;
    const sentAt = clock.now();
    stats.renewals++;
    let renewed: HeldLeaseRef[];
    try {
      renewed = await answer("a renewal", store.renewLeases(node, refs, timings.leaseTtl, sentAt));
    } catch (error) {
      report(error);
      this.checkDeadlines();
      return;
    }
    // The clock first: an answer that arrives after a deadline (a stalled loop, a slow store)
    // does not bring a lease back.
    this.checkDeadlines();
    const ok = new Set(renewed.map((r) => `${r.name}\u0000${r.token}`));
    for (const ref of refs) {
      const holding = this.holdings.get(ref.name);
      if (!holding || holding.token !== ref.token) continue;
      if (!ok.has(`${ref.name}\u0000${ref.token}`)) {
        this.lose(ref.name, "lost");
        continue;
      }
      holding.expiresAt = sentAt + timings.leaseTtl;
      holding.deadline = holding.expiresAt - timings.safetyMargin;
    }
    this.armDeadline();
  }

  /** The leases held now (before their deadline), by daemon name. */
  held(): Map<string, DaemonLease> {
    const out = new Map<string, DaemonLease>();
    for (const [name, holding] of this.holdings)
      if (holding.lease.held()) out.set(name, holding.lease);
    return out;
  }

  /** Stops the deadline timer (the keeper stopped). */
  stopTimer(): void {
    if (this.deadlineTimer) this.options.clock.clearTimeout(this.deadlineTimer);
  }

  private armDeadline(): void {
    const { clock } = this.options;
    if (this.deadlineTimer) clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    let first = Number.POSITIVE_INFINITY;
    for (const holding of this.holdings.values()) first = Math.min(first, holding.deadline);
    if (first !== Number.POSITIVE_INFINITY) {
      this.deadlineTimer = clock.setTimeout(this.checkDeadlines, Math.max(0, first - clock.now()));
    }
  }
}
