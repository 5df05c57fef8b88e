/**
 * The second half of a start: setup within what is left of `readyTimeout`, then `running`, the
 * work (cycles or `run()`), the first health check and the restart budget's reset timer.
 */
import { withTimeout } from "../internal/sleep.js";
import { formatDuration } from "../registry/duration.js";
import type { DaemonSupervisor } from "./daemon.js";
import { checkHealth, scheduleHealth } from "./health-check.js";
import type { Run } from "./run.js";
import { startWork } from "./runner.js";

/** Setup within what is left of `readyTimeout`, then `running` and the work. */
export async function openRun(d: DaemonSupervisor, run: Run, readyWithin: number): Promise<void> {
  const { spec } = d;
  try {
    run.setup = Promise.resolve().then(() => run.hooks.setup?.(run.ctx));
    const ready =
      spec.readiness === "setup"
        ? run.setup
        : run.setup.then(() => {
            if (spec.run) startWork(d, run);
            return run.ctx.readyGate?.promise;
          });
    const outcome = await withTimeout(d.host.clock, ready, Math.max(0, readyWithin));
    if (run !== d.run) return;
    if (!outcome.ok) {
      // Given up on: the teardown runs cleanup without waiting for it again.
      run.setup.catch(() => {});
      run.setup = undefined;
      throw new Error(`not ready within ${formatDuration(spec.readyTimeout)} (readyTimeout)`);
    }
  } catch (error) {
    if (run === d.run) d.fail(run, error, "setup");
    return;
  }
  d.readyAt = d.host.clock.now();
  d.transition("running");
  if (d.usesBus(run)) d.host.bus.setOpen(d.name, true);
  warnUnhandledTypes(d);
  startWork(d, run);
  // The first cycle may already have failed the run: then it has no timers to arm.
  if (run !== d.run || run.ended) return;
  // A first check right away, so status shows a verdict instead of "not checked yet".
  void checkHealth(d, { scheduled: true }).then(() => {
    if (run === d.run) scheduleHealth(d, run);
  });
  if (d.spec.restart.resetAfter > 0 && d.restartAttempt > 0) {
    run.resetTimer = d.host.clock.setTimeout(() => {
      if (d.run === run) d.restartAttempt = 0;
    }, d.spec.restart.resetAfter);
  }
}

/** A declared event type with no handler after setup is almost always a mistake: say so once. */
export function warnUnhandledTypes(d: DaemonSupervisor): void {
  if (d.warnedUnhandled || d.spec.subscribes.length === 0) return;
  const box = d.host.bus.stats().mailboxes.find((m) => m.subscriber === d.name);
  const missing = d.spec.subscribes.filter((t) => !box?.attached.includes(t));
  if (missing.length === 0) return;
  d.warnedUnhandled = true;
  d.log.warn(
    `subscribes to ${missing.join(", ")} but set up no handler for ${missing.length === 1 ? "it" : "them"}; those events wait in its mailbox (call ctx.events.subscribe in setup)`,
  );
}
