/** A config key whose next start changes its value: what runs now, and what will. */
export interface ConfigChange {
  running: unknown;
  next: unknown;
}

/**
 * The keys whose value at the daemon's next start differs from the one it runs with (a key absent
 * on one side shows as null there). Values compare as JSON.
 */
export function configChanges(
  running: Readonly<Record<string, unknown>>,
  next: Readonly<Record<string, unknown>>,
): Record<string, ConfigChange> {
  const changes: Record<string, ConfigChange> = {};
  for (const key of new Set([...Object.keys(running), ...Object.keys(next)])) {
    const now = running[key] ?? null;
    const then = next[key] ?? null;
    if (JSON.stringify(now) !== JSON.stringify(then)) changes[key] = { running: now, next: then };
  }
  return changes;
}
