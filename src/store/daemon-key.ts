/**
 * The key of a daemon record, `node \0 name`, one string per pair: the write buffer coalesces by
 * it and the memory store keeps records by it. Built once and reused, a key's hash is computed
 * once, where a key concatenated afresh for every write (thousands a second for a fleet's
 * heartbeats) was a new string to flatten and hash each time, twice per write.
 */
const keys = new Map<string, Map<string, string>>();
let count = 0;
/** Past this many pairs the cache starts over (nodes come and go in a long-lived cluster store). */
const MAX_KEYS = 100_000;

/** The last node asked about, and its keys: a process writes almost only its own node's records. */
let lastNode: string | undefined;
let lastByName: Map<string, string> | undefined;

export function daemonKey(node: string, name: string): string {
  let byName = node === lastNode ? lastByName : keys.get(node);
  if (!byName) {
    byName = new Map();
    keys.set(node, byName);
  }
  lastNode = node;
  lastByName = byName;
  let key = byName.get(name);
  if (key === undefined) {
    if (count >= MAX_KEYS) {
      keys.clear();
      count = 0;
      byName = new Map();
      keys.set(node, byName);
      lastByName = byName;
    }
    key = `${node}\u0000${name}`;
    byName.set(name, key);
    count++;
  }
  return key;
}
