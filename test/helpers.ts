import {
  createManager,
  createManualClock,
  type DaemonSpec,
  defineConfig,
  type ManualClock,
  type RingmasterConfigInput,
  type StateChange,
} from "ringmaster";

/** A manager on a manual clock with a silent logger, recording every state change. */
export function setup(
  daemons: DaemonSpec[],
  extra: Partial<RingmasterConfigInput> = {},
  env: Record<string, string> = {},
) {
  const clock: ManualClock = createManualClock();
  const config = defineConfig({ daemons, store: "memory:", ...extra });
  const manager = createManager(config, { clock, logger: false, env });
  const changes: StateChange[] = [];
  manager.on("daemon:state", (change) => {
    changes.push(change);
  });
  const statesOf = (name: string) => changes.filter((c) => c.name === name).map((c) => c.to);
  const firstTime = (name: string, state: string) =>
    changes.find((c) => c.name === name && c.to === state)?.at;
  return { clock, manager, changes, statesOf, firstTime };
}

/** Runs `promise` to completion while advancing the manual clock in steps. */
export async function drive<T>(
  clock: ManualClock,
  promise: Promise<T>,
  stepMs = 10,
  maxMs = 600_000,
): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  for (let elapsed = 0; !done && elapsed <= maxMs; elapsed += stepMs) {
    await clock.advance(stepMs);
  }
  if (!done) throw new Error(`still pending after ${maxMs} ms of manual time`);
  if (error) throw error;
  return value as T;
}
