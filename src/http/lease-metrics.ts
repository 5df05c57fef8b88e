/**
 * `/metrics` of this node's cluster leases (DESIGN.md §8): which cluster daemons it holds, with
 * their fencing tokens, and how many leases it acquired and lost in its life.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { LeaseStats } from "./port.js";

export function registerLeaseMetrics(read: () => LeaseStats, registers: Registry[]): void {
  new Gauge({
    name: "ringmaster_lease_held",
    help: "1 while this node holds the cluster lease of the daemon, 0 otherwise",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const d of read().daemons) this.set({ daemon: d.name }, d.held ? 1 : 0);
    },
  });
  new Gauge({
    name: "ringmaster_lease_fencing_token",
    help: "The fencing token of each cluster lease this node holds",
    labelNames: ["daemon"],
    registers,
    collect() {
      this.reset();
      for (const d of read().daemons) if (d.held) this.set({ daemon: d.name }, d.token);
    },
  });
  new Counter({
    name: "ringmaster_lease_acquisitions_total",
    help: "Cluster leases this node acquired",
    registers,
    collect() {
      this.reset();
      this.inc(read().acquisitions);
    },
  });
  new Counter({
    name: "ringmaster_lease_losses_total",
    help: "Cluster leases this node lost (renewal deadline missed, or taken), not releases",
    registers,
    collect() {
      this.reset();
      this.inc(read().losses);
    },
  });
}
