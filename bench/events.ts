/**
 * 3. Event bus in one process: publish → handled throughput and latency with 1, 10 and 100
 * subscribers, against Node's `EventEmitter` and `emittery`, in the same run.
 *
 *   npx tsx bench/events.ts      npm run bench:events
 *
 * Throughput: events published per second, counting an event only once every subscriber has
 * handled it. Every contender gets the same work: bursts of {@link BURST} events (below the
 * bus's default mailbox capacity), then a wait until all of them are handled (`bus.idle()`,
 * `Promise.all` of emittery's `emit`, nothing for the synchronous EventEmitter). The bus is
 * measured twice: with ad-hoc `subscribe` subscriptions (application code) and with declared
 * mailboxes (`declare` + `attach` + `setOpen`, the path a daemon with `subscribes` takes).
 *
 * Latency: one event at a time, from `publish` to the last subscriber's handler.
 */
import { EventEmitter } from "node:events";
import Emittery from "emittery";
import { createEventBus, type EventBus, systemClock } from "../src/index.js";
import { type Benchmark, percentile, type Row, row, runIfMain } from "./lib.js";

const SUBSCRIBERS = [1, 10, 100] as const;
/** Deliveries (events × subscribers) per throughput round. */
const DELIVERIES = Number(process.env.EVENTS_DELIVERIES ?? 1_000_000);
const BURST = 1_000;
const ROUNDS = 3;
const LATENCY_SAMPLES = 2_000;

type Contender = "EventEmitter" | "emittery" | "bus (subscribe)" | "bus (mailboxes)";
const CONTENDERS: Contender[] = ["EventEmitter", "emittery", "bus (subscribe)", "bus (mailboxes)"];

/** A contender set up with `subscribers` handlers that count into `state.handled`. */
interface Setup {
  publish(n: number): void | Promise<unknown>;
  /** Resolves once everything published so far has been handled. */
  settle(pending: Promise<unknown>[]): Promise<void>;
  close(): void;
}

function setUp(contender: Contender, subscribers: number, onHandled: () => void): Setup {
  switch (contender) {
    case "EventEmitter": {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      for (let i = 0; i < subscribers; i++) emitter.on("tick", () => onHandled());
      return {
        publish: (n) => void emitter.emit("tick", { n }),
        settle: async () => {},
        close: () => emitter.removeAllListeners(),
      };
    }
    case "emittery": {
      const emitter = new Emittery<{ tick: { n: number } }>();
      for (let i = 0; i < subscribers; i++) emitter.on("tick", () => onHandled());
      return {
        publish: (n) => emitter.emit("tick", { n }),
        settle: async (pending) => {
          await Promise.all(pending);
        },
        close: () => emitter.clearListeners(),
      };
    }
    case "bus (subscribe)":
    case "bus (mailboxes)": {
      const bus: EventBus = createEventBus({ clock: systemClock });
      for (let i = 0; i < subscribers; i++) {
        if (contender === "bus (subscribe)") {
          bus.subscribe("tick" as never, () => onHandled(), { name: `sub_${i}` });
        } else {
          const name = `daemon_${i}`;
          bus.declare(name, ["tick"]);
          bus.attach(name, "tick", () => onHandled());
          bus.setOpen(name, true);
        }
      }
      return {
        publish: (n) => void bus.publish("tick" as never, { n } as never),
        settle: () => bus.idle(),
        close: () => bus.close(),
      };
    }
  }
}

/** One throughput round: events per second of wall time and per second of this process's CPU time. */
interface RoundRate {
  wall: number;
  cpu: number;
}

/**
 * Events per second, each handled by every subscriber: of wall time (the suite's figure) and of
 * CPU time (`process.cpuUsage`, user + system of every thread, so the collector's helpers count),
 * read outside the wall-clock window.
 */
async function throughput(contender: Contender, subscribers: number): Promise<RoundRate> {
  const events = Math.max(10_000, Math.floor(DELIVERIES / subscribers));
  let handled = 0;
  const setup = setUp(contender, subscribers, () => {
    handled++;
  });
  const pending: Promise<unknown>[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let sent = 0; sent < events; ) {
    const end = Math.min(events, sent + BURST);
    for (; sent < end; sent++) {
      const p = setup.publish(sent);
      if (p) pending.push(p);
    }
    await setup.settle(pending);
    pending.length = 0;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  setup.close();
  if (handled !== events * subscribers)
    throw new Error(`${contender}: ${handled} of ${events * subscribers} deliveries handled`);
  return { wall: (events / ms) * 1000, cpu: events / ((cpu.user + cpu.system) / 1e6) };
}

/** Publish → handled by the last subscriber, one event at a time, in ms. */
async function latency(contender: Contender, subscribers: number): Promise<Float64Array> {
  let handled = 0;
  let doneAt = 0;
  const setup = setUp(contender, subscribers, () => {
    if (++handled === subscribers) doneAt = performance.now();
  });
  const samples = new Float64Array(LATENCY_SAMPLES);
  for (let i = -200; i < LATENCY_SAMPLES; i++) {
    handled = 0;
    const t0 = performance.now();
    const p = setup.publish(i);
    await setup.settle(p ? [p] : []);
    if (handled !== subscribers) throw new Error(`${contender}: event not handled by all`);
    if (i >= 0) samples[i] = doneAt - t0;
  }
  setup.close();
  return samples;
}

const benchmark: Benchmark = {
  name: "events",
  title: "Event bus in one process (1, 10, 100 subscribers)",
  async run() {
    const rows: Row[] = [];
    const details: Record<string, unknown> = { deliveriesPerRound: DELIVERIES, burst: BURST };
    for (const subscribers of SUBSCRIBERS) {
      const rate = new Map<Contender, number>();
      const cpuRate = new Map<Contender, number>();
      const rounds = new Map<Contender, RoundRate[]>(CONTENDERS.map((c) => [c, []]));
      // Interleaved rounds, best of each: every contender sees the same machine state.
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of CONTENDERS) {
          const r = await throughput(c, subscribers);
          rate.set(c, Math.max(rate.get(c) ?? 0, r.wall));
          cpuRate.set(c, Math.max(cpuRate.get(c) ?? 0, r.cpu));
          rounds.get(c)!.push(r);
        }
      }
      const lat = new Map<Contender, { p50: number; p99: number }>();
      for (const c of CONTENDERS) {
        const s = await latency(c, subscribers);
        lat.set(c, { p50: percentile(s, 0.5) * 1000, p99: percentile(s, 0.99) * 1000 });
      }
      const ee = rate.get("EventEmitter")!;
      const quarter = {
        on: "ratio" as const,
        kind: "min" as const,
        value: 0.25,
        label: "≥ 0.25× EventEmitter",
      };
      rows.push(
        row({
          metric: `${subscribers} sub: bus (subscribe) events/s`,
          figure: rate.get("bus (subscribe)")!,
          unit: "/s",
          baseline: ee,
          baselineLabel: "EventEmitter",
          target: quarter,
        }),
        row({
          metric: `${subscribers} sub: bus (daemon mailboxes) events/s`,
          figure: rate.get("bus (mailboxes)")!,
          unit: "/s",
          baseline: ee,
          baselineLabel: "EventEmitter",
          target: quarter,
        }),
        row({
          metric: `${subscribers} sub: bus (subscribe) vs emittery`,
          figure: rate.get("bus (subscribe)")!,
          unit: "/s",
          baseline: rate.get("emittery")!,
          baselineLabel: "emittery",
        }),
        row({
          metric: `${subscribers} sub: latency p50 (bus)`,
          figure: lat.get("bus (subscribe)")!.p50,
          unit: "µs",
          baseline: lat.get("EventEmitter")!.p50,
          baselineLabel: "EventEmitter",
        }),
        row({
          metric: `${subscribers} sub: latency p99 (bus)`,
          figure: lat.get("bus (subscribe)")!.p99,
          unit: "µs",
          baseline: lat.get("EventEmitter")!.p99,
          baselineLabel: "EventEmitter",
        }),
      );
      // Beside the wall-clock rows: the same rounds per second of CPU time, which the other
      // sessions' load on this shared machine moves far less (see bench/README.md, section 3).
      const eeCpu = cpuRate.get("EventEmitter")!;
      for (const [contender, label] of [
        ["bus (subscribe)", "bus (subscribe)"],
        ["bus (mailboxes)", "bus (daemon mailboxes)"],
      ] as const) {
        rows.push(
          row({
            metric: `${subscribers} sub: ${label} events per CPU second`,
            figure: cpuRate.get(contender)!,
            unit: "/s",
            baseline: eeCpu,
            baselineLabel: "EventEmitter",
            target: quarter,
          }),
        );
      }
      details[`subscribers_${subscribers}`] = {
        eventsPerSecond: Object.fromEntries(rate),
        eventsPerCpuSecond: Object.fromEntries(cpuRate),
        rounds: Object.fromEntries(rounds),
        latencyMicros: Object.fromEntries(lat),
      };
    }
    return { rows, details };
  },
};

export default benchmark;
runIfMain(import.meta, benchmark);
