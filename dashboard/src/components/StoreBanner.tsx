import { clock, relative } from "../format";
import { useLive, useNow } from "../hooks";
import type { ProbeReport } from "../types";

type ProbeStoreReport = NonNullable<ProbeReport["store"]>;

/** `1536` → `"1.5 KB"`. */
function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${+(n / 1024 / 1024).toFixed(1)} MB`;
  return `${+(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** What waits, in one sentence: "1,204 writes buffered (180.5 KB in memory, 900 in the spool)". */
function waiting(store: ProbeStoreReport): string {
  const parts = [`${bytes(store.bytesBuffered)} in memory`];
  if (store.spooled > 0) parts.push(`${store.spooled.toLocaleString()} in the spool file`);
  let text = `${store.buffered.toLocaleString()} writes buffered (${parts.join(", ")})`;
  if (store.dropped > 0) text += `; ${store.dropped.toLocaleString()} lost`;
  if (store.refused > 0) text += `; ${store.refused.toLocaleString()} refused (spool full)`;
  return text;
}

/**
 * The store's state across the top of every page while `/health` warns about it: unreachable
 * since when, with what waits to be written; catching up while the spool is written out. Gone
 * once the store is healthy again (the next probe after it recovers).
 */
export function StoreBanner() {
  const liveness = useLive((l) => l.liveness);
  const now = useNow();
  const store = liveness?.store;
  if (!store) return null;
  const degraded = store.state !== "catching up";
  return (
    <div
      class={degraded ? "store-banner store-banner-degraded" : "store-banner"}
      role={degraded ? "alert" : "status"}
      data-store-state={store.state}
    >
      <strong>
        {degraded ? "The store is unreachable" : "The store is back, catching up"}
        {degraded && store.since !== null
          ? ` since ${clock(store.since)} (${relative(store.since, now)})`
          : ""}
      </strong>
      <span>
        {degraded
          ? `Daemons keep running; writes are buffered and will be written when it returns: ${waiting(store)}.`
          : `Writing what waited: ${waiting(store)}.`}
      </span>
    </div>
  );
}
