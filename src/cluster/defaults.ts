import { HOUR, SECOND } from "../registry/duration.js";

/**
 * Every cluster timing, in one place (DESIGN.md §8). Durations are milliseconds.
 *
 * A holder renews every `renewInterval` for `leaseTtl`; its renewal deadline is expiry minus
 * `safetyMargin`, so it stops a daemon at least `safetyMargin` before any other node could acquire
 * the lease. The margin must cover the clock skew between nodes and the time a daemon takes to
 * notice `ctx.signal`. After `kill -9`, another node takes over within `leaseTtl + renewInterval`
 * (the lease runs out, then the next standby tick acquires it).
 */
export const CLUSTER_DEFAULTS = {
  /** A node whose heartbeat is older than this is `lost`. */
  nodeTtl: 15 * SECOND,
  /** How often a node heartbeats its row: five beats per `nodeTtl`. */
  heartbeatInterval: 3 * SECOND,
  /** How often a node renews all its leases (one statement) and looks for free ones. */
  renewInterval: 3 * SECOND,
  /** How long an acquisition or renewal holds a lease. */
  leaseTtl: 10 * SECOND,
  /** Renewal deadline = expiry − this. */
  safetyMargin: 2 * SECOND,
  /** Rows of nodes lost (or stopped) longer than this are pruned, with their records and cursors. */
  pruneAfter: 24 * HOUR,
} as const;

export type ClusterTimings = { -readonly [K in keyof typeof CLUSTER_DEFAULTS]: number };

/**
 * The timings with defaults filled in, checked so that a holder always gets a renewal in before
 * its deadline and a lost node's leases run out before the node itself counts as lost. Throws a
 * `RangeError` naming the offending setting.
 */
export function clusterTimings(partial: Partial<ClusterTimings> = {}): ClusterTimings {
  const t: ClusterTimings = { ...CLUSTER_DEFAULTS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) t[key as keyof ClusterTimings] = value;
  }
  for (const [key, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`cluster.${key} must be a positive duration, got ${value}`);
    }
  }
  if (t.renewInterval >= t.leaseTtl - t.safetyMargin) {
    throw new RangeError(
      `cluster.renewInterval (${t.renewInterval} ms) must be shorter than cluster.leaseTtl − safety margin (${t.leaseTtl - t.safetyMargin} ms), or a holder stops before its first renewal`,
    );
  }
  if (t.leaseTtl > t.nodeTtl) {
    throw new RangeError(
      `cluster.leaseTtl (${t.leaseTtl} ms) must not exceed cluster.nodeTtl (${t.nodeTtl} ms)`,
    );
  }
  if (t.heartbeatInterval >= t.nodeTtl) {
    throw new RangeError(
      `cluster.heartbeatInterval (${t.heartbeatInterval} ms) must be shorter than cluster.nodeTtl (${t.nodeTtl} ms)`,
    );
  }
  return t;
}
