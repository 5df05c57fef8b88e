/**
 * The entry of a worker-thread guest (see `guest.ts`): the host talks to it over `parentPort`.
 * An uncaught error ends the thread and reaches the host as the worker's `'error'` event.
 */
import { parentPort } from "node:worker_threads";
import { runGuest } from "./guest.js";
import type { Message } from "./protocol.js";

const port = parentPort;
if (!port) throw new Error("guest-worker.ts runs only as a worker thread");
runGuest(
  {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => port.on("message", (message: Message) => listener(message)),
  },
  (code) => process.exit(code),
);
