/**
 * The entry of a child-process guest (see `guest.ts`), forked with an IPC channel. It leads its
 * own process group, so the host can end it and everything it started with one signal. It
 * watches its parent: when the IPC channel closes (the manager exited or was killed with -9), it
 * kills its whole group, itself included — no orphan outlives the manager.
 */
import { runGuest } from "./guest.js";
import { type Message, serializeError } from "./protocol.js";

if (!process.send)
  throw new Error("guest-process.ts runs only as a forked child with an IPC channel");
const send = process.send.bind(process);

function orphaned(): void {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(1);
  }
}
process.on("disconnect", orphaned);

/** An uncaught error ends the guest; the host learns why before it sees the exit. */
function fatal(thrown: unknown): void {
  const message: Message = { t: "note", op: "fatal", args: serializeError(thrown) };
  try {
    send(message, undefined, {}, () => process.exit(1));
  } catch {
    process.exit(1);
  }
  // If the channel is gone, the callback never comes.
  setTimeout(() => process.exit(1), 1000).unref();
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

runGuest(
  {
    send: (message) => {
      send(message);
    },
    onMessage: (listener) => process.on("message", (message) => listener(message as Message)),
  },
  (code) => process.exit(code),
);
