/**
 * Event retention's rule, shared by every store: which of the oldest events a trim may remove.
 */

/**
 * The last seq of the prefix of `oldest` (events in seq order) that may go, or null for none.
 * An event may go when it is beyond the newest `maxRows` (counted by seq: seqs above
 * `top - maxRows`, at most `maxRows` events, are kept whatever the cursors say, so the table stays
 * bounded even when a subscriber is gone for good), or when it is older than `maxAgeMs` and every
 * subscriber with a cursor (`low`, the lowest) has passed it. The prefix stops at the first event
 * that must stay, so a trim never leaves holes.
 */
export function trimmablePrefix(
  oldest: readonly { seq: number; time: number }[],
  rule: { top: number; low: number | null; maxAgeMs: number; maxRows?: number; now: number },
): number | null {
  const countCut =
    rule.maxRows !== undefined && Number.isFinite(rule.maxRows)
      ? rule.top - rule.maxRows
      : Number.NEGATIVE_INFINITY;
  const ageCut = Number.isFinite(rule.maxAgeMs)
    ? rule.now - rule.maxAgeMs
    : Number.NEGATIVE_INFINITY;
  let through: number | null = null;
  for (const { seq, time } of oldest) {
    const passed = rule.low === null || seq <= rule.low;
    if (!(seq <= countCut || (time < ageCut && passed))) break;
    through = seq;
  }
  return through;
}
