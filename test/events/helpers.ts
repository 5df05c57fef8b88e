import { createEventBus } from "../../src/events/bus.js";
import type { EventBus } from "../../src/events/types.js";
import { createManualClock, type ManualClock } from "../../src/internal/clock.js";
import type { EventBusOptions, EventEnvelope } from "../../src/registry/types.js";

/** A bus on a manual clock, publishing untyped test events. */
export function makeBus(options: Partial<EventBusOptions> = {}): {
  bus: EventBus;
  clock: ManualClock;
  publish: (type: string, payload?: unknown, extra?: { id?: string; source?: string }) => Env;
  errors: { error: Error; context: string }[];
} {
  const clock = createManualClock();
  const errors: { error: Error; context: string }[] = [];
  const bus = createEventBus({
    clock,
    options,
    onError: (error, context) => errors.push({ error, context }),
    idPrefix: "t-",
  });
  const publish = (type: string, payload?: unknown, extra?: { id?: string; source?: string }) =>
    bus.publish(type as never, payload as never, extra) as unknown as Env;
  return { bus, clock, publish, errors };
}

export type Env = EventEnvelope<string>;

/** Resolves after `ms` of manual time; lets the bus's other subscribers run meanwhile. */
export function later(clock: ManualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
