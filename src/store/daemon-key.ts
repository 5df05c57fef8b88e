/**
 * The key of a daemon record, one string per (node, name) pair: the write buffer coalesces by it
 * and the memory store keeps records by it. A process writes almost only its own node's records:
 * the first node asked about (its home) keys its records by the name alone, a string the daemon
 * already has, whose hash is computed once; any other node's key is `node \0 name`, built once and
 * reused. A fleet's heartbeats ask for thousands of keys a second, and a lookup in a map of
 * 10,000 keys per ask (the cache of built keys) cost more than the rest of the write.
 */
const keys = new Map<string, Map<string, string>>();
let count = 0;
/** Past this many pairs the cache starts over (nodes come and go in a long-lived cluster store). */
const MAX_KEYS = 100_000;

/** The node whose keys are its names: the first asked about. */
let home: string | undefined;

/** The last other node asked about, and its keys. */
let lastNode: string | undefined;
let lastByName: Map<string, string> | undefined;

export function daemonKey(node: string, name: string): string {
  home ??= node;
  // A name with a \0 in it could be another node's key: it takes the long form.
  if (node === home && !name.includes("\u0000")) return name;
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
