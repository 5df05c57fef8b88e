import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/**
 * Calls `line` for every line of a guest's stdout or stderr. (A guest's own output is rare: its
 * daemon logs through `ctx.log`; these lines are what a library printed, or a crash report.)
 */
export function forwardLines(stream: Readable | null | undefined, line: (text: string) => void) {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", line);
}
