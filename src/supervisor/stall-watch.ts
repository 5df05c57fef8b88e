import { isMainThread, Worker } from "node:worker_threads";
import { currentOwner, type Owner, runUnowned } from "./async-context.js";

// The stall watch (DESIGN.md §11): who blocked the event loop, and for how long.
//
// How long: a heartbeat timer on the main thread, every `checkInterval`; when it runs late by
// more than the threshold, the loop was blocked that long (to within one check interval).
//
// Who: the loop is blocked, so nothing on the main thread can look while it happens. A small
// worker thread watches the heartbeat and its time (a SharedArrayBuffer), waking when the loop
// would have been blocked for half the threshold if it had not beaten since (a few times a
// second, not at a poll rate: a thread's wake-up costs a VM tens of microseconds); once the beat
// has not moved for half the threshold, the worker asks the main thread, through the inspector
// protocol (`Runtime.evaluate`, which V8 runs at the next interrupt check, inside the busy
// code), to note the owner of the code running right then: the AsyncLocalStorage store of that
// code, which is the daemon's also after any number of `await`s (async-context.ts). The hot
// paths pay nothing: no hook runs per callback. Where the inspector is unavailable (not the main thread, or a
// Node without it), stalls are still measured but named as no one's.

/** One manager's interest in stalls. */
export interface StallListener {
  /** ms: stalls at least this long are reported. */
  readonly threshold: number;
  /** A stall of `ms` no daemon or job owned (the manager's own code, or a probe that missed). */
  unowned(ms: number): void;
}

const PROBE = "__ringmasterStallProbe";

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { beat, base, probeAfter } = workerData;
const shared = new Int32Array(beat);
let session;
try {
  const { Session } = require("node:inspector");
  session = new Session();
  session.connectToMainThread();
} catch (error) {
  parentPort.postMessage({ unavailable: String(error && error.message || error) });
}
const WRAP = 2 ** 31;
let last = Atomics.load(shared, 0);
let nextProbe = probeAfter;
let timer;
// Wakes when the loop, if it has been blocked since its last beat, has been so for the next probe:
// a few times a second while it beats, not at a fixed poll rate.
const check = () => {
  const count = Atomics.load(shared, 0);
  if (count !== last) { last = count; nextProbe = probeAfter; }
  const stalled = (((Date.now() - base) % WRAP) - Atomics.load(shared, 1) + WRAP) % WRAP;
  if (session && stalled >= nextProbe) {
    nextProbe = stalled + probeAfter;
    session.post("Runtime.evaluate", { expression: "globalThis.${PROBE}?.(" + count + ")", silent: true }, () => {});
  }
  timer = setTimeout(check, Math.max(workerData.minWait, nextProbe - stalled));
};
timer = setTimeout(check, probeAfter);
parentPort.on("message", () => {
  clearTimeout(timer);
  try { session && session.disconnect(); } catch {}
  parentPort.close();
});
`;

interface Watch {
  listeners: Set<StallListener>;
  stop(): void;
}

/**
 * How long {@link stallWatchGone} waits for a stopped watch's worker to close its session before
 * terminating it.
 */
const WORKER_EXIT_WAIT = 500;

let watch: Watch | undefined;

/**
 * Starts watching for `listener` (one watch per process, shared by every manager; the last one
 * to stop ends it). `checkInterval` is the resolution of the measured stall.
 */
export function watchStalls(listener: StallListener, checkInterval: number): () => void {
  watch ??= runUnowned(() => startWatch(checkInterval, listener.threshold));
  const w = watch;
  w.listeners.add(listener);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    w.listeners.delete(listener);
    if (w.listeners.size === 0) {
      if (watch === w) watch = undefined;
      w.stop();
    }
  };
}

/** The workers of stopped watches that have not exited yet (see {@link stallWatchGone}). */
const exiting = new Set<Promise<void>>();

/**
 * Resolves once every stopped watch's worker has closed its inspector session and exited (at
 * most {@link WORKER_EXIT_WAIT} each). A process about to `process.exit()` after a shutdown waits
 * for this: exiting while the session is open prints "Waiting for the debugger to disconnect..."
 * and waits for it.
 */
export async function stallWatchGone(): Promise<void> {
  await Promise.all([...exiting]);
}

function startWatch(checkInterval: number, firstThreshold: number): Watch {
  const listeners = new Set<StallListener>();
  // [beats so far, when the last was (ms since `base`, modulo 2^31)], read by the worker.
  const beat = new Int32Array(new SharedArrayBuffer(8));
  const base = Date.now();
  /** Owners the probe found running during the stall in progress, with how often. */
  const seen = new Map<Owner | null, number>();
  const threshold = () => {
    let min = Number.POSITIVE_INFINITY;
    for (const l of listeners) min = Math.min(min, l.threshold);
    return min;
  };
  (globalThis as Record<string, unknown>)[PROBE] = (stalledAt: number) => {
    // The probe may arrive after the stall ended: then it would name whoever runs now.
    if (Atomics.load(beat, 0) !== stalledAt) return;
    const owner = currentOwner() ?? null;
    seen.set(owner, (seen.get(owner) ?? 0) + 1);
  };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - checkInterval;
    last = now;
    Atomics.store(beat, 1, (Date.now() - base) % 2 ** 31);
    Atomics.add(beat, 0, 1);
    if (late >= threshold()) report(Math.round(late));
    seen.clear();
  }, checkInterval);
  timer.unref();

  function report(ms: number): void {
    let culprit: Owner | null = null;
    let most = 0;
    for (const [owner, count] of seen) {
      if (count > most) {
        culprit = owner;
        most = count;
      }
    }
    if (culprit?.stalled) culprit.stalled(ms);
    else for (const l of listeners) if (ms >= l.threshold) l.unowned(ms);
  }

  let worker: Worker | undefined;
  if (isMainThread) {
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        beat: beat.buffer,
        base,
        probeAfter: Math.max(checkInterval, Math.floor(firstThreshold / 2)),
        minWait: 10,
      },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    // Without a worker or the inspector, stalls are still measured, only not attributed.
    worker.on("error", () => {});
  }
  return {
    listeners,
    stop() {
      clearInterval(timer);
      delete (globalThis as Record<string, unknown>)[PROBE];
      const w = worker;
      worker = undefined;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
      w.postMessage("stop");
      const gone = (async () => {
        let waiting: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((resolve) => {
          // Not unref'd: a process awaiting this at its end must stay up until the worker is gone.
          waiting = setTimeout(() => resolve(true), WORKER_EXIT_WAIT);
        });
        if (await Promise.race([exited.then(() => false), late])) await w.terminate();
        clearTimeout(waiting);
      })();
      exiting.add(gone);
      void gone.finally(() => exiting.delete(gone));
    },
  };
}
