import type { DaemonSpec, JobContext } from "../registry/types.js";
import { GuestRunner, type GuestSpawner } from "./host.js";
import { InlineRunner } from "./host-inline.js";
import { runJobInGuest } from "./host-job.js";
import { spawnProcessGuest } from "./process-host.js";
import type { DaemonRunner, GuestOptions, IsolationKind } from "./types.js";
import { spawnWorkerGuest } from "./worker-host.js";

const SPAWNERS: Record<GuestOptions["kind"], GuestSpawner> = {
  worker: spawnWorkerGuest,
  process: spawnProcessGuest,
};

/** Where and under which limits a daemon runs: `isolation`, `module`, `maxMemory`, `killTimeout`. */
export type Placement = { kind: IsolationKind } & Partial<Omit<GuestOptions, "kind">>;

/** A fresh runner for one run of `spec`, inline or in a guest of `placement.kind`. */
export function createDaemonRunner(spec: DaemonSpec, placement: Placement): DaemonRunner {
  if (placement.kind === "inline") return new InlineRunner(spec);
  if (!placement.module) {
    throw new TypeError(
      `daemon "${spec.name}": isolation "${placement.kind}" needs the module that exports it (option module)`,
    );
  }
  const { kind, module, ...limits } = placement;
  return new GuestRunner(spec.name, { kind, module, ...limits }, SPAWNERS[kind]);
}

/** Runs one attempt of job `type` in a fresh guest of `placement.kind` (see `runJobInGuest`). */
export function runIsolatedJob(
  placement: GuestOptions,
  type: string,
  payload: unknown,
  ctx: JobContext,
): Promise<unknown> {
  return runJobInGuest(placement, SPAWNERS[placement.kind], type, payload, ctx);
}
