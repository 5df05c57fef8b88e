/**
 * The job thread: a worker thread with its own better-sqlite3 connection to the store's file, on
 * which SQLite's claims and outcome writes run (sqlite-job-round.ts), so their statements — most
 * of a drain's time on SQLite — run beside the event loop instead of on it. The store sends one
 * round at a time, holding its own connection meanwhile (sqlite-jobs.ts): this process's writes
 * never wait on the thread's lock, other processes' locks are waited for under the busy timeout
 * in the thread. A round's request and its rows (JSON texts, sqlite-job-round.ts) travel as
 * messages.
 *
 * If the thread dies, its rounds in flight reject (their transaction either committed or was
 * rolled back with the thread's connection: the store's callers treat both as a failed write, as
 * after a lost connection) and the next round starts a new thread.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import {
  ROUND_SOURCE,
  ROUND_SQL,
  type RoundRequest,
  type RoundResult,
} from "./sqlite-job-round.js";

/** The thread's program: opens the file, prepares the round at the first request, answers. */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
${ROUND_SOURCE}
let database;
let round;
try {
  database = new Database(workerData.file, { timeout: workerData.busyTimeout, fileMustExist: true });
  database.pragma("busy_timeout = " + workerData.busyTimeout);
  database.pragma("synchronous = NORMAL");
  Atomics.store(new Int32Array(workerData.state), 0, 1);
} catch (error) {
  parentPort.postMessage({ failed: { message: String(error && error.message), code: error && error.code } });
  parentPort.close();
}
parentPort.on("message", (message) => {
  if (message === "close") {
    try { database.close(); } catch {}
    parentPort.close();
    return;
  }
  try {
    if (!round) round = makeRound(database, workerData.sql);
    parentPort.postMessage({ id: message.id, result: round(message.request) });
  } catch (error) {
    const e = error || {};
    parentPort.postMessage({ id: message.id, error: { message: String(e.message || e), code: e.code, name: e.name } });
  }
});
`;

type Reply =
  | { failed: { message: string; code?: string } }
  | { id: number; result: RoundResult }
  | { id: number; error: { message: string; code?: string; name?: string } };

interface Waiting {
  resolve(result: RoundResult): void;
  reject(error: Error): void;
}

export interface JobThread {
  /** The thread has opened the file: rounds go to it (before, the caller runs them itself). */
  readonly ready: boolean;
  /** The thread failed or exited: a new one is needed. */
  readonly gone: boolean;
  /** Runs `request` on the thread's connection. */
  round(request: RoundRequest): Promise<RoundResult>;
  /** Closes the connection after the rounds sent; resolves when the thread exited. */
  close(): Promise<void>;
  /** The thread's id (tests). */
  readonly threadId: number;
  /** Stops the thread at once, as if it had crashed (tests). */
  terminate(): Promise<number>;
}

/** An error that came from the thread, with the driver's code kept (the store classifies it). */
const errorOf = (e: { message: string; code?: string | undefined; name?: string | undefined }) =>
  Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });

/**
 * Starts a job thread on the SQLite file `file` (not `:memory:`: a thread cannot share it),
 * waiting up to `busyTimeout` ms for other connections' locks.
 */
export function startJobThread(file: string, busyTimeout: number): JobThread {
  // 1 once the thread has opened the file: read without a turn of the event loop, which a drain
  // running its first rounds here may not give for a while.
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve("better-sqlite3"),
      file,
      busyTimeout: Math.floor(busyTimeout),
      sql: ROUND_SQL,
      state: state.buffer,
    },
    // None of this process's flags (a TypeScript loader, say): the program is plain JavaScript.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  // Only rounds in flight keep the process up (ref'd while one is).
  worker.unref();
  const waiting = new Map<number, Waiting>();
  let gone = false;
  let nextId = 1;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  const fail = (error: Error) => {
    gone = true;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on("message", (reply: Reply) => {
    if ("failed" in reply) {
      fail(errorOf(reply.failed));
      return;
    }
    const w = waiting.get(reply.id);
    if (!w) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if ("error" in reply) w.reject(errorOf(reply.error));
    else w.resolve(reply.result);
  });
  worker.on("error", (error) => fail(error));
  worker.on("exit", (code) =>
    fail(new Error(`the SQLite job thread exited (code ${code}) with a round in flight`)),
  );

  return {
    get ready() {
      return !gone && Atomics.load(state, 0) === 1;
    },
    get gone() {
      return gone;
    },
    threadId: worker.threadId,
    round(request) {
      if (gone) return Promise.reject(new Error("the SQLite job thread is gone"));
      const id = nextId++;
      return new Promise<RoundResult>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        if (waiting.size === 1) worker.ref();
        worker.postMessage({ id, request });
      });
    },
    async close() {
      if (!gone) worker.postMessage("close");
      // Kept up until it exited: an unref'd worker would let the event loop end with the
      // close still waiting (a process whose last step is closing its store would hang up).
      worker.ref();
      await exited;
    },
    terminate: () => worker.terminate(),
  };
}
