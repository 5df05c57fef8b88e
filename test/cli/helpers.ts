import { EventEmitter } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { CliIO } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/program.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const EXAMPLE_CONFIG = join(ROOT, "examples/training-pipeline/ringmaster.config.ts");
/** Temp configs import ringmaster by file URL, so they load from any directory. */
export const RINGMASTER = pathToFileURL(join(ROOT, "src/index.ts")).href;

export interface Captured {
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output; resolves with the exit code and the output. */
export async function cli(
  argv: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    signals?: EventEmitter;
    tty?: boolean;
    out?: Captured;
  } = {},
): Promise<Captured & { code: number }> {
  const out = options.out ?? { stdout: "", stderr: "" };
  const io: CliIO = {
    stdout: {
      write: (s: string) => (out.stdout += s),
      isTTY: options.tty ?? false,
      columns: 120,
      rows: 40,
    },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: options.env ?? {},
    exit: () => {},
    cwd: options.cwd ?? ROOT,
    ...(options.signals
      ? { signals: options.signals as unknown as NonNullable<CliIO["signals"]> }
      : {}),
  };
  const code = await runCli(argv, io);
  return { code, ...out };
}

/** A fresh temp directory holding `files` (name → contents); returns its path. */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "ringmaster-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function signalSource(): EventEmitter {
  return new EventEmitter();
}
