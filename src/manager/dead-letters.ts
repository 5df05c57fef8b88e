import type { DeadLetter } from "../events/types.js";
import type { Clock } from "../internal/clock.js";
import type { Runtime } from "./runtime.js";

/** Dead letters of this process and, with a persistent store, of earlier ones. */
export async function listDeadLetters(rt: Runtime): Promise<DeadLetter[]> {
  const live = rt.bus.deadLetters();
  if (!rt.persistence || !rt.durable) return live;
  const stored = await rt.persistence.store.listDeadLetters({ limit: 10_000 });
  const seen = new Set(live.map((l) => l.id));
  return [...stored.filter((l) => !seen.has(l.id)), ...live];
}

/**
 * Re-delivers a dead letter of this process or, with a persistent store, one stored by an earlier
 * process; false if unknown. A stored letter is removed from the store once its event is handled
 * (durable delivery sees to it), not before: a crash meanwhile keeps it.
 */
export async function retryDeadLetter(rt: Runtime, id: string): Promise<boolean> {
  const { durable, bus } = rt;
  const store = durable ? rt.persistence?.store : undefined;
  if (!durable || !store) return bus.retryDeadLetter(id);
  const live = bus.deadLetters().find((l) => l.id === id);
  if (live) return durable.redeliver(live, () => bus.retryDeadLetter(id));
  const stored = await store.getDeadLetter(id);
  if (!stored) return false;
  return durable.redeliver(stored, () => bus.inject(stored.subscriber, stored.event));
}

/**
 * With `deadLetterRetryInterval`, dead letters of handlers that failed are re-delivered that
 * often (a handler that keeps failing dead-letters them again; overflowed ones stay put).
 * Returns the function that stops the sweeper.
 */
export function startDeadLetterSweeper(rt: Runtime): () => void {
  const every = rt.config.deadLetterRetryInterval;
  const { clock } = rt;
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const stop = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  if (every === undefined) return stop;
  const sweep = () => {
    timer = undefined;
    if (rt.tree.shuttingDown) return;
    const letters = rt.bus.deadLetters().filter((l) => l.reason === "handler-failed");
    for (const letter of letters) void retryDeadLetter(rt, letter.id).catch(() => {});
    if (letters.length > 0) rt.logger.info(`re-delivering ${letters.length} dead letter(s)`);
    timer = clock.setTimeout(sweep, every);
  };
  timer = clock.setTimeout(sweep, every);
  return stop;
}
