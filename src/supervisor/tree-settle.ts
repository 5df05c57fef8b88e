/**
 * When a set of daemons has "come to rest", for `start()`, `startDaemon()` and `restartDaemon()`:
 * running, failed, stopped, in standby (a cluster daemon another node runs), in backoff after a
 * failed start (it retries by its policy, nobody waits for that), waiting on something that will
 * not start by itself or is in backoff, or running since the call. So a start never waits longer
 * than the slowest `readyTimeout` along the graph, however many retries a policy allows. Waiters
 * are checked once per turn of the event loop, not on every state change.
 */
import { deferred } from "../internal/deferred.js";
import type { DaemonSupervisor } from "./daemon.js";

export class SettleWatch {
  private readonly waiters = new Set<() => void>();
  private checkScheduled = false;

  constructor(
    private readonly supervisors: ReadonlyMap<string, DaemonSupervisor>,
    private readonly isDesired: (name: string) => boolean,
  ) {}

  /** Re-checks the waiters on the next turn (call on every state change). */
  schedule(): void {
    if (this.checkScheduled || this.waiters.size === 0) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  /** Resolves once every one of `names` has come to rest (see `settled`). */
  whenSettled(names: readonly string[], since: number): Promise<void> {
    if (this.settled(names, since)) return Promise.resolve();
    const done = deferred<void>();
    const check = () => {
      if (this.settled(names, since)) {
        this.waiters.delete(check);
        done.resolve();
      }
    };
    this.waiters.add(check);
    return done.promise;
  }

  /**
   * Whether each of `names` has come to rest: running, failed, stopped, waiting on something that
   * will not start by itself, or has been running since `since` (a daemon whose `run()` returns
   * at once under policy `always` never rests, but it did start).
   */
  settled(names: Iterable<string>, since: number): boolean {
    for (const name of names) {
      const d = this.supervisors.get(name) as DaemonSupervisor;
      if (!d.spec.enabled) continue;
      if (
        d.isUp ||
        d.state === "failed" ||
        d.state === "stopped" ||
        d.state === "standby" ||
        d.state === "backoff"
      )
        continue;
      if (d.readyAt !== null && d.readyAt >= since) continue;
      if (d.state === "waiting" && this.blocked(name)) continue;
      return false;
    }
    return true;
  }

  /**
   * A desired daemon that will not start without outside help, or not before a retry: a
   * dependency failed, is disabled, is not wanted, is stopped (its `run()` finished) or is in
   * backoff.
   */
  private blocked(name: string, seen = new Set<string>()): boolean {
    if (seen.has(name)) return true;
    seen.add(name);
    for (const dep of (this.supervisors.get(name) as DaemonSupervisor).spec.dependsOn) {
      const d = this.supervisors.get(dep);
      if (!d) return true;
      // A dependency in standby runs on another node: not here until this node takes its lease.
      if (
        d.state === "failed" ||
        d.state === "stopped" ||
        d.state === "standby" ||
        d.state === "backoff"
      )
        return true;
      if (!d.spec.enabled) return true;
      if (!this.isDesired(dep) && !d.isUp) return true;
      if (d.state === "waiting" && this.blocked(dep, seen)) return true;
    }
    return false;
  }
}
