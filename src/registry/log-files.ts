/**
 * The `logFiles` option of a config: per-daemon log files beside the store (`logs/auto_sync.log`,
 * for `tail -f`), rotated by size and count. Checked with zod when the config is defined, so a bad
 * value fails `defineConfig` with one line naming the key, what was expected and what was found.
 */
import { z } from "zod";
import { MANAGER_DEFAULTS } from "./defaults.js";
import { parseSize, type Size } from "./size.js";

/** What `logFiles:` accepts: a directory, or the directory with its rotation bounds. */
export type LogFilesInput =
  | string
  | {
      /** The directory; relative paths are taken from the working directory, like the store's. */
      dir: string;
      /** A file is rotated once it reaches this size. Default 10 MB. */
      maxSize?: Size;
      /** Rotated files kept per daemon beside the current one (`.1` newest … `.N`). Default 5. */
      maxFiles?: number;
    };

/** `logFiles` as `defineConfig` leaves it: bytes and a count. */
export interface LogFilesOptions {
  readonly dir: string;
  readonly maxSize: number;
  readonly maxFiles: number;
}

const SIZE_EXPECTED = 'a size such as "10MB" or a number of bytes';

const schema = z.strictObject({
  dir: z.string().regex(/\S/),
  maxSize: z
    .union([z.number(), z.string()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return MANAGER_DEFAULTS.logFiles.maxSize;
      try {
        return parseSize(value, "maxSize");
      } catch {
        ctx.addIssue({ code: "custom", message: SIZE_EXPECTED, input: value });
        return z.NEVER;
      }
    }),
  maxFiles: z.number().int().min(1).max(1000).default(MANAGER_DEFAULTS.logFiles.maxFiles),
});

/** What each key expects, for messages (zod's own wording names types, not the option). */
const EXPECTED: Record<string, string> = {
  "": 'a directory such as "logs/", or { dir, maxSize, maxFiles }',
  dir: 'a directory such as "logs/"',
  maxSize: SIZE_EXPECTED,
  maxFiles: "a whole number from 1 to 1000",
};

/**
 * Normalizes `logFiles` (undefined: no log files). Throws a `TypeError` naming every problem,
 * e.g. `config option logFiles.maxFiles: expected a whole number from 1 to 1000, found 0`.
 */
export function logFilesOptions(input: unknown): LogFilesOptions | undefined {
  if (input === undefined || input === false) return undefined;
  const value = typeof input === "string" ? { dir: input } : input;
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return Object.freeze(parsed.data);
  const lines = parsed.error.issues.map((issue) => {
    const key = issue.path.join(".");
    const where = key === "" ? "config option logFiles" : `config option logFiles.${key}`;
    if (issue.code === "unrecognized_keys")
      return `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}; expected dir, maxSize, maxFiles`;
    const expected = EXPECTED[key] ?? issue.message;
    const found = issue.input === undefined ? "nothing" : JSON.stringify(issue.input);
    return `${where}: expected ${expected}, found ${found}`;
  });
  throw new TypeError(lines.join("; "));
}
