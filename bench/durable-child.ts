/**
 * One side of the durable-events benchmark (bench/durable-events.ts), in a process of its own:
 *
 *   durable-child.ts sub        STORE_URL COUNT   a manager whose daemon `bench_sink` declares
 *                                                 `subscribes: ["BENCH_TICK"]`
 *   durable-child.ts pub        STORE_URL COUNT RATE   a manager whose daemon `bench_source`
 *                                                 publishes COUNT events (RATE/s; 0 = flat out)
 *   durable-child.ts notify-sub PG_URL    COUNT   bare `pg`: LISTEN on a channel
 *   durable-child.ts notify-pub PG_URL    COUNT RATE   bare `pg`: NOTIFY (flat out: 500 a statement)
 *
 * Every event carries its send time as wall-clock milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`, comparable across processes on one machine).
 * A subscriber prints "READY" once it listens, then, after COUNT distinct events, one JSON line
 * with its figures; a publisher sends, then waits for its stdin to close before it shuts down and
 * prints one JSON line.
 */
import pg from "pg";
import { createManager, defineConfig, defineDaemon } from "../src/index.js";
import { percentile } from "./lib.js";

declare module "../src/index.js" {
  interface Events {
    BENCH_TICK: { n: number; t: number };
  }
}

const [role, url, countText, rateText] = process.argv.slice(2) as [string, string, string, string?];
const COUNT = Number(countText);
const RATE = Number(rateText ?? 0);
/** Flat-out publishing: this many events per turn of the event loop. */
const CHUNK = 500;
const CHANNEL = "ringmaster_bench_notify";
const TIMEOUT_MS = 60_000;

const wallNow = () => performance.timeOrigin + performance.now();
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Receives events; resolves with the figures once COUNT distinct ones arrived. */
function collector() {
  const seen = new Uint8Array(COUNT + 1);
  const latency = new Float64Array(COUNT);
  let distinct = 0;
  let duplicates = 0;
  let first = 0;
  let last = 0;
  let done!: () => void;
  const complete = new Promise<void>((resolve) => (done = resolve));
  const timer = setTimeout(() => {
    console.error(`${role}: only ${distinct} of ${COUNT} events after ${TIMEOUT_MS} ms`);
    process.exit(3);
  }, TIMEOUT_MS);
  return {
    complete,
    receive(n: number, sentAt: number) {
      const now = wallNow();
      if (seen[n]) {
        duplicates++;
        return;
      }
      seen[n] = 1;
      if (distinct === 0) first = now;
      last = now;
      latency[distinct++] = now - sentAt;
      if (distinct === COUNT) {
        clearTimeout(timer);
        done();
      }
    },
    result: () => ({
      count: distinct,
      duplicates,
      firstReceivedAt: first,
      lastReceivedAt: last,
      latencyMs: {
        p50: percentile(latency, 0.5),
        p90: percentile(latency, 0.9),
        p99: percentile(latency, 0.99),
        max: percentile(latency, 1),
        mean: latency.reduce((a, b) => a + b, 0) / COUNT,
      },
    }),
  };
}

/** Calls `send(n)` for n = 1..COUNT, flat out in chunks or paced at RATE per second. */
async function pace(send: (from: number, to: number) => void | Promise<void>) {
  const t0 = performance.now();
  let sent = 0;
  while (sent < COUNT) {
    const due =
      RATE > 0
        ? Math.min(COUNT, Math.floor(((performance.now() - t0) / 1000) * RATE) + 1)
        : Math.min(COUNT, sent + CHUNK);
    if (due > sent) {
      await send(sent + 1, due);
      sent = due;
    }
    if (RATE > 0) await sleep(1);
    else await turn();
  }
}

/** The parent closes our stdin once the subscriber has received every event. */
const untilStdinCloses = () =>
  new Promise<void>((resolve) => {
    process.stdin.on("end", resolve).on("close", resolve).resume();
  });

const storeOptions = { storePollInterval: "10ms" as const };

switch (role) {
  case "sub": {
    const got = collector();
    const sink = defineDaemon({
      name: "bench_sink",
      subscribes: ["BENCH_TICK"],
      setup(ctx) {
        ctx.events.subscribe("BENCH_TICK", (event) =>
          got.receive(event.payload.n, event.payload.t),
        );
      },
    });
    // The publisher and the subscriber are two nodes of one store: each needs its own node id.
    const manager = createManager(defineConfig({ daemons: [sink], store: url, ...storeOptions }), {
      logger: false,
      node: { id: "bench-sub" },
    });
    await manager.start();
    console.log("READY");
    await got.complete;
    const result = got.result();
    await manager.shutdown();
    print(result);
    break;
  }
  case "pub": {
    let firstSentAt = 0;
    let lastSentAt = 0;
    let finished!: () => void;
    const published = new Promise<void>((resolve) => (finished = resolve));
    const source = defineDaemon({
      name: "bench_source",
      emits: ["BENCH_TICK"],
      async run(ctx) {
        firstSentAt = wallNow();
        await pace((from, to) => {
          for (let n = from; n <= to; n++) ctx.events.publish("BENCH_TICK", { n, t: wallNow() });
        });
        lastSentAt = wallNow();
        finished();
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
      },
    });
    const manager = createManager(
      defineConfig({ daemons: [source], store: url, ...storeOptions }),
      { logger: false, node: { id: "bench-pub" } },
    );
    await manager.start();
    await published;
    // Stay up until the parent says the subscriber has everything: a shutdown while an append
    // is in flight loses the events still queued behind it (see bench/README.md).
    await untilStdinCloses();
    await manager.shutdown();
    print({ firstSentAt, lastSentAt });
    break;
  }
  case "notify-sub": {
    const got = collector();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("notification", (message) => {
      const [n, t] = (message.payload ?? "").split(" ");
      got.receive(Number(n), Number(t));
    });
    await client.query(`LISTEN ${CHANNEL}`);
    console.log("READY");
    await got.complete;
    print(got.result());
    await client.end();
    break;
  }
  case "notify-pub": {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const firstSentAt = wallNow();
    await pace(async (from, to) => {
      if (to === from) {
        await client.query("select pg_notify($1, $2)", [CHANNEL, `${from} ${wallNow()}`]);
        return;
      }
      const payloads: string[] = [];
      for (let n = from; n <= to; n++) payloads.push(`${n} ${wallNow()}`);
      await client.query("select pg_notify($1, p) from unnest($2::text[]) p", [CHANNEL, payloads]);
    });
    const lastSentAt = wallNow();
    await untilStdinCloses();
    await client.end();
    print({ firstSentAt, lastSentAt });
    break;
  }
  default:
    throw new Error(`unknown role ${role}`);
}
process.exit(0);
