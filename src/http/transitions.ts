import type { StateChange } from "../supervisor/types.js";

/** The most recent state transitions of each daemon, for `GET /api/daemons/:name`. */
export class TransitionLog {
  private byDaemon = new Map<string, StateChange[]>();

  constructor(private readonly perDaemon = 20) {}

  record(change: StateChange): void {
    let list = this.byDaemon.get(change.name);
    if (!list) {
      list = [];
      this.byDaemon.set(change.name, list);
    }
    list.push(change);
    if (list.length > this.perDaemon) list.shift();
  }

  /** Oldest first. */
  of(name: string): StateChange[] {
    return [...(this.byDaemon.get(name) ?? [])];
  }
}
