import type { Logger } from "pino";
import { type ResolvedDaemon, resolveConfig } from "../config/resolve.js";
import type { Clock } from "../internal/clock.js";
import type { RingmasterConfig } from "../registry/types.js";
import type { DaemonSupervisor } from "../supervisor/daemon.js";
import { recordOf } from "../supervisor/status.js";
import type { SupervisionTree } from "../supervisor/tree.js";
import type { Persistence } from "./persistence.js";

/**
 * The manager's config: resolved once at creation (DESIGN.md §3), then again with the operator
 * overrides saved in the store as the last layer. A resolution made while a daemon runs waits
 * for its next start, but its record's `enabled` and `autoStart` change at once.
 */
export function createConfigLayers(
  config: RingmasterConfig,
  env: Record<string, string | undefined> | undefined,
) {
  const envOption = env ? { env } : {};
  let resolved = resolveConfig(config, envOption);
  let storedOverrides: Record<string, Record<string, unknown>> = {};
  /** Resolutions waiting for their daemon's next start (after overrides changed). */
  const pending = new Map<string, ResolvedDaemon>();

  /**
   * The daemon's record for the store. `enabled` and `autoStart` follow an operator override at
   * once, even while the rest of its resolution waits for the next start.
   */
  function recordFor(d: DaemonSupervisor) {
    const record = recordOf(d);
    const next = pending.get(d.name);
    return next
      ? { ...record, enabled: next.spec.enabled, autoStart: next.spec.autoStart }
      : record;
  }

  return {
    get resolved() {
      return resolved;
    },

    recordOf: recordFor,

    /** Applies the overrides the store kept as the last layer (when the store opens). */
    applyStored(persistence: Persistence, tree: SupervisionTree, logger: Logger): void {
      storedOverrides = persistence.storedOverrides;
      if (Object.keys(storedOverrides).length === 0) return;
      resolved = resolveConfig(config, { ...envOption, storedOverrides });
      for (const r of resolved.daemons.values()) tree.sup(r.name).reconfigure(r.spec, r.config);
      for (const w of resolved.warnings) logger.warn(w);
    },

    /** Applies a resolution made after overrides changed, if the daemon is between runs. */
    applyPending(d: DaemonSupervisor): void {
      const next = pending.get(d.name);
      if (!next) return;
      pending.delete(d.name);
      d.reconfigure(next.spec, next.config);
    },

    /**
     * Saves operator overrides for a daemon (config keys, `enabled`, `autoStart`; null removes a
     * key) in the store, validated as the last config layer; they apply from the daemon's next
     * start. Throws a ConfigError (one line per problem) for bad values, saving nothing.
     */
    async set(
      d: DaemonSupervisor,
      patch: Record<string, unknown>,
      persistence: Persistence | undefined,
      clock: Clock,
    ): Promise<ResolvedDaemon> {
      const name = d.name;
      const merged = { ...(storedOverrides[name] ?? {}), ...patch };
      for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
      const next = { ...storedOverrides, [name]: merged };
      const attempt = resolveConfig(config, { ...envOption, storedOverrides: next });
      const mine = attempt.daemons.get(name) as ResolvedDaemon;
      if (persistence) {
        const { enabled, autoStart, ...configOverrides } = merged;
        await persistence.store.setDaemonSettings(
          name,
          {
            enabled: typeof enabled === "boolean" ? enabled : null,
            autoStart: typeof autoStart === "boolean" ? autoStart : null,
            configOverrides: Object.keys(configOverrides).length > 0 ? configOverrides : null,
          },
          clock.now(),
        );
      }
      storedOverrides = next;
      resolved = attempt;
      if (d.isUp || d.state === "starting" || d.state === "stopping") pending.set(name, mine);
      else d.reconfigure(mine.spec, mine.config);
      persistence?.record(recordFor(d));
      return mine;
    },
  };
}

export type ConfigLayers = ReturnType<typeof createConfigLayers>;
