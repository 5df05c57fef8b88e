/**
 * The wording of configuration problem lines: where a value came from (`(from env RINGRIFT_X)`)
 * and the "did you mean" hint for a misspelt name.
 */
import { suggest } from "../registry/suggest.js";
import type { ConfigSource } from "./types.js";

/** ` (did you mean "close"?)`, or "" when no candidate is close enough. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = suggest(name, candidates);
  return close === undefined ? "" : ` (did you mean "${close}"?)`;
}

/** "(from env RINGRIFT_X)", "(from /etc/ringmaster.yaml)", … */
export function describeSource(source: ConfigSource | undefined): string {
  switch (source?.kind) {
    case undefined:
      return "(not set, and the schema has no default)";
    case "default":
      return "(from the schema default)";
    case "file":
      return "(from the config file's daemonConfig)";
    case "overrides":
      return `(from ${source.detail ?? "the overrides file"})`;
    case "env":
      return `(from env ${source.detail})`;
    case "store":
      return "(from overrides saved in the store)";
  }
}
