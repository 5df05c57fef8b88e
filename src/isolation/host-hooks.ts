import type { DaemonHooks, HealthResult } from "../registry/types.js";
import type { DaemonRunner, HostContext } from "./types.js";

/**
 * The hooks the supervisor calls for one run, whatever the daemon's isolation: each one drives
 * `runner` (setup starts the guest; a hook the spec lacks stays absent, so the supervisor's
 * choices — cycle or run, hook or derived health — are the spec's own). The supervisor keeps
 * every timeout, abort and state decision; after cleanup it calls `runner.stop(grace)`.
 */
export function runnerHooks<C>(spec: DaemonHooks<C>, runner: DaemonRunner): DaemonHooks<C> {
  const hooks: DaemonHooks<C> = {
    // Setup always runs: it is what starts the guest, even for a spec without a setup hook.
    setup: (ctx) => runner.start(ctx as HostContext),
    cleanup: () => runner.cleanup(),
  };
  if (spec.cycle) hooks.cycle = (ctx) => runner.cycle(ctx as HostContext);
  if (spec.run) hooks.run = () => runner.run();
  if (spec.health) hooks.health = async () => (await runner.health()) as HealthResult;
  return hooks;
}
