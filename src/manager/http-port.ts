import { clusterView } from "../cluster/view.js";
import type { HttpPort } from "../http/port.js";
import type { Manager } from "../supervisor/types.js";
import { listDeadLetters, retryDeadLetter } from "./dead-letters.js";
import { queryLogs } from "./logs.js";
import type { Runtime } from "./runtime.js";

/** The HTTP server's port, implemented over this manager's runtime and public handle. */
export function createHttpPort(rt: Runtime, manager: Manager): HttpPort {
  const { tree } = rt;
  return {
    manager,
    logger: rt.logger,
    events: rt.bus,
    graph: tree.graph,
    canonical: (name) => tree.canonical(name),
    daemonConfig: (name) => rt.layers.resolved.daemons.get(name),
    runningConfig: (name) => tree.sup(tree.canonical(name)).config,
    specs: () => [...rt.layers.resolved.daemons.values()].map((d) => d.spec),
    queryLogs: (query) => queryLogs(rt, query),
    node: () => rt.node,
    get started() {
      return rt.started;
    },
    get shuttingDown() {
      return tree.shuttingDown;
    },
    setOverrides: (name, patch) => {
      const d = tree.sup(tree.canonical(name));
      return rt.layers.set(d, patch, rt.persistence, rt.clock);
    },
    deadLetters: {
      list: () => listDeadLetters(rt),
      retry: (id) => retryDeadLetter(rt, id),
    },
    storeHealth: () => rt.persistence?.health(),
    containment: () => rt.containment,
    async clusterNodes() {
      const store = rt.persistence?.store;
      if (!store) return [];
      return clusterView(store, rt.clock.now(), rt.clusterTimings.nodeTtl);
    },
    leases() {
      const held = rt.cluster?.held() ?? new Map();
      const stats = rt.cluster?.stats();
      const names = [...tree.supervisors.values()]
        .filter((d) => d.spec.scope === "cluster")
        .map((d) => d.name);
      return {
        daemons: names.map((name) => ({
          name,
          held: held.has(name),
          token: held.get(name)?.token ?? 0,
        })),
        acquisitions: stats?.acquisitions ?? 0,
        losses: stats?.losses ?? 0,
      };
    },
  };
}
