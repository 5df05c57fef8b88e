/**
 * Where the durable subscribers' cursors live in a cluster (DESIGN.md §8): a node-scoped daemon's
 * subscriber has one cursor per node (`<subscriber>@<node>`), so a restarted node resumes where
 * *it* stopped; a cluster daemon's subscriber has one cursor for the cluster, moved only by the
 * lease holder with its token (a stale holder's write is fenced off by the store).
 */
import type { CursorKeeping } from "../events/durable.js";
import { NODE_CURSOR_SEPARATOR } from "../store/sql-cluster.js";
import { isClusterScoped } from "./cluster.js";
import type { Runtime } from "./runtime.js";

/** The cursors of `runtime()`'s subscribers (a getter: durable delivery is built before it). */
export function clusterCursors(runtime: () => Runtime): CursorKeeping {
  const key = (subscriber: string) => `${subscriber}${NODE_CURSOR_SEPARATOR}${runtime().node.id}`;
  return {
    async get(store, subscriber) {
      const rt = runtime();
      if (isClusterScoped(rt, subscriber)) return store.getCursor(subscriber);
      const own = await store.getCursor(key(subscriber));
      // A node's first start after an upgrade resumes from the cursor shared by name before.
      return own > 0 ? own : store.getCursor(subscriber);
    },
    async set(store, subscriber, seq) {
      const rt = runtime();
      if (!isClusterScoped(rt, subscriber)) return store.setCursor(key(subscriber), seq);
      const lease = rt.cluster?.lease(subscriber);
      if (!lease) return;
      await store.cluster.setFencedCursor(
        subscriber,
        seq,
        { name: subscriber, holder: lease.holder, token: lease.token },
        rt.clock.now(),
      );
    },
  };
}
