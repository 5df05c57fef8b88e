import { suggest } from "../registry/suggest.js";
import type { RingmasterConfig } from "../registry/types.js";
import type { StartOptions } from "../supervisor/types.js";
import { CliError, EXIT } from "./io.js";

/** The flags that pick what `start` runs; at most one is given. */
export interface SelectionFlags {
  profile?: string;
  daemons?: string;
  category?: string;
  all?: boolean;
}

const hint = (name: string, candidates: Iterable<string>) => {
  const close = suggest(name, candidates);
  return close ? ` (did you mean "${close}"?)` : "";
};

/** Splits `a,b, c` into names. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `AUTO_SYNC` → `auto_sync`: the declared daemon whose name matches in any case. */
export function canonicalDaemon(config: RingmasterConfig, name: string): string {
  const names = config.daemons.map((d) => d.name);
  const found =
    names.find((n) => n === name) ?? names.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!found) throw new CliError(EXIT.usage, [`unknown daemon "${name}"${hint(name, names)}`]);
  return found;
}

/** The declared category matching `name` in any case. */
export function canonicalCategory(config: RingmasterConfig, name: string): string {
  const categories = [...new Set(config.daemons.map((d) => d.category))].sort();
  const found = categories.find((c) => c.toLowerCase() === name.toLowerCase());
  if (!found) {
    throw new CliError(EXIT.usage, [
      `unknown category "${name}"${hint(name, categories)}; categories: ${categories.join(", ")}`,
    ]);
  }
  return found;
}

/** The profile matching `name` in any case. */
export function canonicalProfile(config: RingmasterConfig, name: string): string {
  const profiles = Object.keys(config.profiles);
  const found =
    profiles.find((p) => p === name) ??
    profiles.find((p) => p.toLowerCase() === name.toLowerCase());
  if (!found) {
    throw new CliError(EXIT.usage, [
      `unknown profile "${name}"${hint(name, profiles)}; profiles: ${profiles.join(", ") || "none defined"}`,
    ]);
  }
  return found;
}

/**
 * Turns `--profile`, `--daemons`, `--category` or `--all` into the manager's start options, with
 * names in any case. No flag: the manager's default (every enabled daemon with autoStart).
 * `--all`: every enabled daemon, autoStart or not. Unknown names throw a usage error.
 */
export function selectionFor(
  config: RingmasterConfig,
  flags: SelectionFlags,
): StartOptions & { label: string } {
  if (flags.profile !== undefined) {
    const profile = canonicalProfile(config, flags.profile);
    return { profile, label: `profile ${profile}` };
  }
  if (flags.daemons !== undefined) {
    const daemons = splitList(flags.daemons).map((n) => canonicalDaemon(config, n));
    if (daemons.length === 0) throw new CliError(EXIT.usage, ["--daemons needs at least one name"]);
    return { daemons, label: daemons.join(", ") };
  }
  if (flags.category !== undefined) {
    const categories = splitList(flags.category).map((c) => canonicalCategory(config, c));
    return { categories, label: `category ${categories.join(", ")}` };
  }
  if (flags.all) {
    return {
      daemons: config.daemons.filter((d) => d.enabled).map((d) => d.name),
      label: "all daemons",
    };
  }
  return { label: "every auto-start daemon" };
}

/**
 * The daemons a selection names, from the config (for a manager that already runs): a profile's,
 * a category's, `--all`'s enabled ones, or the names. No selection refuses: the running manager
 * already runs its auto-start daemons, and starting "everything" again is not what was meant.
 */
export function selectedNames(
  config: RingmasterConfig,
  selection: StartOptions & { label: string },
  running: { url: string },
): string[] {
  if (selection.daemons) return [...selection.daemons];
  if (selection.profile !== undefined) return [...(config.profiles[selection.profile] ?? [])];
  if (selection.categories) {
    const categories = new Set(selection.categories);
    return config.daemons.filter((d) => d.enabled && categories.has(d.category)).map((d) => d.name);
  }
  throw new CliError(EXIT.failure, [
    `a manager already runs for this config at ${running.url}`,
    "name the daemons to start in it (ringmaster start NAME…, --daemons, --category, --profile or --all), or stop it first with `ringmaster stop`",
  ]);
}

/**
 * The name in `known` (a running manager's or the store's daemons) matching `name` in any case;
 * exit 1 with a suggestion otherwise, as the manager answers an unknown name (404).
 */
export function canonicalIn(known: readonly string[], name: string): string {
  const found =
    known.find((n) => n === name) ?? known.find((n) => n.toLowerCase() === name.toLowerCase());
  if (found) return found;
  const close = suggest(name, known);
  throw new CliError(EXIT.failure, [
    `unknown daemon "${name}"${close ? ` (did you mean "${close}"?)` : ""}`,
  ]);
}
