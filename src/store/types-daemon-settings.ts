/**
 * Daemon settings: what an operator changed about a daemon (enabled, auto-start, config
 * overrides), kept by name so it outlives the process. Declared here, part of the `Store`.
 */

/**
 * Operator settings of one daemon, keyed by name alone (not node), so they survive a restart of
 * the process and apply to its next start anywhere. `null` means "not set: use the spec".
 */
export interface DaemonSettings {
  name: string;
  enabled: boolean | null;
  autoStart: boolean | null;
  configOverrides: Record<string, unknown> | null;
  updatedAt: number;
}

/** A change to settings: an omitted field is left as stored, `null` clears it. */
export interface DaemonSettingsPatch {
  enabled?: boolean | null;
  autoStart?: boolean | null;
  /** Replaces the stored overrides as a whole (the caller merges). */
  configOverrides?: Record<string, unknown> | null;
}

/** The daemon settings part of the `Store`. */
export interface DaemonSettingsMethods {
  /** Applies `patch` to the daemon's settings (creating them), stamped `at`; returns the result. */
  setDaemonSettings(name: string, patch: DaemonSettingsPatch, at: number): Promise<DaemonSettings>;
  /** Every daemon's settings, by name. */
  loadDaemonSettings(): Promise<DaemonSettings[]>;
}
