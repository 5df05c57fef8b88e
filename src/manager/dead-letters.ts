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

/** Re-delivers a dead letter (from memory or the store); false if unknown. */
export async function retryDeadLetter(rt: Runtime, id: string): Promise<boolean> {
  const store = rt.durable ? rt.persistence?.store : undefined;
  if (rt.bus.retryDeadLetter(id)) {
    await store?.removeDeadLetter(id);
    return true;
  }
  if (!store) return false;
  const letter = (await store.listDeadLetters({ limit: 10_000 })).find((l) => l.id === id);
  if (!letter || !rt.bus.inject(letter.subscriber, letter.event)) return false;
  await store.removeDeadLetter(id);
  return true;
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
