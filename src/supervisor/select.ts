import { ConfigError } from "../registry/errors.js";
import { suggest } from "../registry/suggest.js";
import type { DaemonSpec, RingmasterConfig } from "../registry/types.js";
import type { StartOptions } from "./types.js";

/**
 * The daemons `start(options)` asks for: a profile, names, categories, or every autostart daemon
 * when none is given; canonical names, disabled ones left out (through `onDisabled`). An unknown
 * profile or category throws a ConfigError with a "did you mean".
 */
export function selectDaemons(
  options: StartOptions,
  input: {
    profiles: RingmasterConfig["profiles"];
    specs: readonly DaemonSpec[];
    canonical(name: string): string;
    enabled(name: string): boolean;
    onDisabled(name: string): void;
    /** Called once a profile was found (the node's profile). */
    onProfile(name: string): void;
  },
): string[] {
  const { profiles, specs, canonical } = input;
  const picked: string[] = [];
  if (options.profile !== undefined) {
    const profile = profiles[options.profile];
    if (!profile) {
      const hint = suggest(options.profile, Object.keys(profiles));
      throw new ConfigError([
        `unknown profile "${options.profile}"${hint ? ` (did you mean "${hint}"?)` : ""}; profiles: ${Object.keys(profiles).join(", ") || "none defined"}`,
      ]);
    }
    picked.push(...profile.map(canonical));
    input.onProfile(options.profile);
  }
  if (options.daemons) picked.push(...options.daemons.map(canonical));
  if (options.categories) {
    const known = new Set(specs.map((s) => s.category));
    for (const category of options.categories) {
      if (!known.has(category)) {
        const hint = suggest(category, known);
        throw new ConfigError([
          `unknown category "${category}"${hint ? ` (did you mean "${hint}"?)` : ""}; categories: ${[...known].sort().join(", ")}`,
        ]);
      }
      picked.push(...specs.filter((s) => s.category === category).map((s) => s.name));
    }
  }
  if (options.profile === undefined && !options.daemons && !options.categories) {
    picked.push(...specs.filter((s) => s.autoStart).map((s) => s.name));
  }
  return [...new Set(picked)].filter((name) => {
    if (input.enabled(name)) return true;
    input.onDisabled(name);
    return false;
  });
}
