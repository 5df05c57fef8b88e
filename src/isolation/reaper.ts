import { type ChildProcess, spawn } from "node:child_process";
import type { GroupTracker } from "./command-types.js";
import { REAPER_PROGRAM } from "./reaper-program.js";

/**
 * The orphan reaper of one manager: a small separate process that knows every process group the
 * manager started and kills them all (SIGTERM, then SIGKILL after each one's `killTimeout`) when
 * its IPC channel to the manager disconnects — which also happens when the manager is killed
 * with SIGKILL, the case no handler inside the manager can cover (Node has no
 * `PR_SET_PDEATHSIG`). See `reaper-program.ts` for its side.
 *
 * Contract: `track` right after a spawn and `untrack` once the group is gone (the program runner
 * does both). The reaper process starts with the first `track` (a manager without programs has
 * none) and never keeps the manager's event loop alive. If it dies, a new one is
 * started and told every group still tracked. `stop()` ends it after the manager has stopped its
 * programs: whatever is still tracked then is killed by it, and it resolves once it has exited;
 * a later `track` starts a new one.
 * A group started in the instant before a `kill -9` may not have reached it yet.
 */
export interface Reaper extends GroupTracker {
  /** The reaper process's pid (undefined once stopped). */
  readonly pid: number | undefined;
  /** Groups tracked now. */
  readonly tracked: ReadonlyMap<number, number>;
  stop(): Promise<void>;
}

export interface ReaperOptions {
  /** Called when the reaper died on its own while it had groups to watch, and was started again. */
  onRestart?(reason: string): void;
}

export function createReaper(options: ReaperOptions = {}): Reaper {
  const groups = new Map<number, number>();
  let child: ChildProcess | undefined;

  const send = (message: { op: "track" | "untrack"; pgid: number; killTimeout?: number }) => {
    if (!child?.connected) return;
    try {
      child.send(message, () => {}); // an error here means it died: its exit handler restarts it
    } catch {
      // the channel closed in between; same as above
    }
  };

  const launch = () => {
    const reaper = spawn(process.execPath, ["-e", REAPER_PROGRAM], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      env: {},
    });
    reaper.on("error", () => {});
    reaper.once("exit", (code, signal) => {
      if (child !== reaper) return; // stopped, or already replaced
      child = undefined;
      if (groups.size === 0) return; // the next track starts a new one
      options.onRestart?.(signal ? `signal ${signal}` : `exit code ${code}`);
      launch();
    });
    reaper.unref();
    (reaper.channel as { unref?(): void } | null | undefined)?.unref?.();
    child = reaper;
    for (const [pgid, killTimeout] of groups) send({ op: "track", pgid, killTimeout });
  };

  return {
    get pid() {
      return child?.pid;
    },
    tracked: groups,
    track(pgid, killTimeout) {
      groups.set(pgid, killTimeout);
      if (child) send({ op: "track", pgid, killTimeout });
      else launch(); // tells it every tracked group, this one included
    },
    untrack(pgid) {
      if (!groups.delete(pgid)) return;
      send({ op: "untrack", pgid });
    },
    async stop() {
      const reaper = child;
      child = undefined;
      groups.clear(); // it kills whatever is still tracked as it goes
      if (!reaper || reaper.exitCode !== null || reaper.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => reaper.once("exit", () => resolve()));
      if (reaper.connected) reaper.disconnect();
      else reaper.kill("SIGTERM");
      await exited;
    },
  };
}
