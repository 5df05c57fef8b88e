/**
 * What the CLI touches of the outside world, injected so tests run commands in-process:
 * `buildProgram(io, commands)` never reads `process` directly except through `io` (and its defaults).
 */

/** A stream the CLI writes to: `process.stdout`, or a test's collector. */
export interface CliOutput {
  write(chunk: string): unknown;
  /** True on a terminal: live status view and colours. */
  isTTY?: boolean;
  /** Terminal width and height, when known. */
  columns?: number;
  rows?: number;
}

/** Where SIGINT/SIGTERM come from: `process`, or a test's emitter. */
export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Environment handed to config resolution (`${PREFIX}_${DAEMON}_${KEY}` overrides). */
  env: Record<string, string | undefined>;
  /** Ends the command with an exit code. In the real CLI this exits the process. */
  exit(code: number): void;
  /** Base for a relative `--config` and where `ringmaster.config.ts` is looked for. Default `process.cwd()`. */
  cwd?: string;
  /** Default `process`. */
  signals?: SignalSource;
}

/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed, or the config has errors. */
  failure: 1,
  /** Bad arguments: unknown option, unknown profile / daemon / category name. */
  usage: 2,
  /** No running manager could be reached (commands that talk to one over HTTP). */
  unreachable: 3,
  /** A second Ctrl-C during shutdown. */
  interrupted: 130,
} as const;

/** A failure a command reports as lines on stderr, then exits with `code`. */
export class CliError extends Error {
  constructor(
    readonly code: number,
    readonly lines: string[],
  ) {
    super(lines.join("\n"));
    this.name = "CliError";
  }
}

/** Writes `text` followed by a newline. */
export function println(out: CliOutput, text = ""): void {
  out.write(`${text}\n`);
}
