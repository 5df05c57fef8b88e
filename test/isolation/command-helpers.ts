import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../src/internal/clock.js";
import { type ProgramOptions, startProgram } from "../../src/isolation/command.js";

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Polls `check` every 25 ms until it is true; false after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Starts a program on the real clock, collecting its output lines. */
export function run(argv: string[], extra: Partial<ProgramOptions> = {}) {
  const lines: Array<{ stream: string; line: string }> = [];
  const program = startProgram({
    argv,
    env: { PATH: process.env.PATH },
    clock: systemClock,
    onLine: (stream, line) => lines.push({ stream, line }),
    ...extra,
  });
  return { program, lines };
}
