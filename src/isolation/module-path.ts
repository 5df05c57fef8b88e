import { fileURLToPath } from "node:url";

type CallSite = { getFileName(): string | null | undefined };

/** The file names of the current call stack, innermost first (V8 call sites, then text). */
function stackFiles(): string[] {
  const original = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder, stackFiles);
    const sites = holder.stack;
    if (Array.isArray(sites)) {
      return (sites as CallSite[]).map((site) => site.getFileName() ?? "").filter(Boolean);
    }
  } catch {
    // A frozen prepareStackTrace: parse the text below.
  } finally {
    Error.prepareStackTrace = original;
  }
  const text = String(new Error().stack ?? "");
  return [...text.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+|[A-Za-z]:\\[^():]+):\d+:\d+\)?$/gm)].map(
    (match) => match[1] ?? "",
  );
}

/** A stack file name as an absolute path (V8 gives file URLs for ES modules, paths for CommonJS). */
function asPath(file: string): string | undefined {
  if (file.startsWith("file:")) return fileURLToPath(file);
  if (file.startsWith("/") || /^[A-Za-z]:\\/.test(file)) return file;
  return undefined; // node:internal, evalmachine, native
}

/**
 * The file of the code that called into `from` — the module a spec is declared in, so a worker
 * or a child can import it again. `from` are the `import.meta.url`s (or paths) of the declaring
 * function's own files (e.g. `define.ts` and its helpers): frames in them, and in this file, are
 * skipped, as are Node's internals. Undefined when no such file is on the stack (a spec made in a REPL or an
 * `eval`); `module:` then has to say where the spec lives.
 */
export function callerModule(...from: string[]): string | undefined {
  const skip = new Set([...from.map(asPath), asPath(import.meta.url)]);
  for (const file of stackFiles()) {
    const path = asPath(file);
    if (path && !skip.has(path)) return path;
  }
  return undefined;
}
