import { startCycles } from "./cycles.js";
import type { DaemonSupervisor } from "./daemon.js";
import type { Run } from "./run.js";

// How a daemon's code is run. Today every daemon runs inline, in the manager's process: its
// `run()` as a promise, or its `cycle()` on its schedule. This is the seam where isolation
// (DESIGN.md §11) decides instead: a worker thread, a child process or an external command,
// each reporting back to the same supervisor (ready, a failure, the end of the run).

export function startWork(d: DaemonSupervisor, run: Run): void {
  if (run.workStarted) return;
  run.workStarted = true;
  const { spec } = d;
  if (spec.run) {
    run.work = Promise.resolve()
      .then(() => run.hooks.run?.(run.ctx))
      .then(
        () => onRunReturned(d, run),
        (error) => d.fail(run, error, "run"),
      );
  } else if (spec.cycle) {
    startCycles(d, run);
  }
}

export function onRunReturned(d: DaemonSupervisor, run: Run): void {
  if (run !== d.run || run.abort.aborted) return;
  if (d.spec.restart.policy === "always") {
    d.fail(run, new Error("run() returned; restart policy is always"), "run", true);
    return;
  }
  d.log.info("run() returned; the daemon has finished");
  void d.stop("stopped", "run() returned");
}
