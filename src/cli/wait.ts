import { type CliIO, EXIT } from "./io.js";

/**
 * Runs a long-lived command body (`status --watch`, `logs -f`) until it returns or Ctrl-C /
 * SIGTERM aborts its signal; an interrupted body ends with exit 0, since stopping it is how it is
 * meant to end.
 */
export async function untilInterrupted(
  io: CliIO,
  body: (signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const signals = io.signals ?? process;
  const controller = new AbortController();
  const stop = () => controller.abort();
  signals.on("SIGINT", stop);
  signals.on("SIGTERM", stop);
  try {
    const code = await body(controller.signal);
    return controller.signal.aborted ? EXIT.ok : code;
  } catch (error) {
    if (controller.signal.aborted) return EXIT.ok;
    throw error;
  } finally {
    signals.off("SIGINT", stop);
    signals.off("SIGTERM", stop);
  }
}
