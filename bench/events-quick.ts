/**
 * Rough publish→handled throughput of the event bus next to Node's EventEmitter, with 1, 10 and
 * 100 subscribers. Not a test and not the real benchmark; run by hand:
 *
 *   npx tsx bench/events-quick.ts
 *
 * Each round publishes EVENTS events in bursts of BURST (below the default mailbox capacity),
 * yielding between bursts, and waits until every subscriber has handled every event. Rates are
 * per second of this process's CPU time (`process.cpuUsage`), not of wall time: on a shared
 * machine CPU time moves far less between runs, so a change of a few percent shows.
 */
import { EventEmitter } from "node:events";
import { createEventBus } from "../src/events/bus.js";
import { systemClock } from "../src/internal/clock.js";

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const BURST = 1_000;

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function emitterRate(subscribers: number, events: number): number {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let handled = 0;
  for (let i = 0; i < subscribers; i++) emitter.on("tick", () => void handled++);
  const start = cpuMs();
  for (let i = 0; i < events; i++) emitter.emit("tick", { n: i });
  const ms = cpuMs() - start;
  if (handled !== events * subscribers) throw new Error("emitter lost events");
  return events / (ms / 1000);
}

async function busRate(subscribers: number, events: number): Promise<number> {
  const bus = createEventBus({ clock: systemClock });
  let handled = 0;
  for (let i = 0; i < subscribers; i++) bus.subscribe("tick" as never, () => void handled++);
  const start = cpuMs();
  for (let sent = 0; sent < events; ) {
    const end = Math.min(events, sent + BURST);
    for (; sent < end; sent++) bus.publish("tick" as never, { n: sent } as never);
    await bus.idle();
  }
  const ms = cpuMs() - start;
  if (handled !== events * subscribers) throw new Error(`bus lost events: ${handled}`);
  bus.close();
  return events / (ms / 1000);
}

for (const subscribers of [1, 10, 100]) {
  const events = Math.max(10_000, Math.floor(EVENTS / subscribers));
  let ee = 0;
  let bus = 0;
  for (let round = 0; round < 5; round++) {
    ee = Math.max(ee, emitterRate(subscribers, events));
    bus = Math.max(bus, await busRate(subscribers, events));
  }
  const pct = ((bus / ee) * 100).toFixed(0);
  console.log(
    `${String(subscribers).padStart(3)} subscribers: EventEmitter ${fmt(ee)}/s, bus ${fmt(bus)}/s (${pct}%), bus ${(1e9 / bus).toFixed(1)} ns of CPU per event`,
  );
}

function fmt(rate: number): string {
  return `${(rate / 1e6).toFixed(2)}M`;
}
