import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { Ago } from "../components/Badges";
import { fullTime } from "../format";
import { daemonHref } from "../hooks";

/** How often the page asks `GET /api/nodes` again (the nodes' heartbeats are seconds apart). */
const REFRESH_INTERVAL = 2_000;

/** A node as `GET /api/nodes` answers (DESIGN.md §8): every node of the cluster, from the store. */
interface ClusterNode {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  url: string | null;
  /** This node: the one serving the page. */
  self: boolean;
  /** `live`, `lost` (heartbeat older than cluster.nodeTtl) or `stopped` (left cleanly). */
  state?: "live" | "lost" | "stopped";
  lastHeartbeatAt?: number | null;
  runs?: Array<{ name: string; state: string }>;
  holds?: Array<{ name: string; token: number; expiresAt: number }>;
}

/** A node's state in the colours of the daemon states: live runs, lost failed, stopped stopped. */
const STATE_CLASS = { live: "state-running", lost: "state-failed", stopped: "state-stopped" };

/** The cluster: every node, what it runs and which cluster leases it holds, live. */
export function NodesView() {
  const [nodes, setNodes] = useState<ClusterNode[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    const load = async () => {
      try {
        const list = await getJson<ClusterNode[]>("/api/nodes");
        if (!current) return;
        setNodes(list);
        setError(null);
      } catch (e) {
        if (current) setError((e as Error).message);
      }
    };
    void load();
    const timer = setInterval(load, REFRESH_INTERVAL);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, []);

  const leases = (nodes ?? [])
    .flatMap((n) => (n.holds ?? []).map((h) => ({ ...h, holder: n })))
    .sort((a, b) => a.name.localeCompare(b.name));
  const lost = (nodes ?? []).filter((n) => n.state === "lost").length;

  return (
    <section aria-labelledby="nodes-title">
      <div class="section-head">
        <h1 id="nodes-title">
          Nodes <span class="count">{nodes?.length ?? 0}</span>
        </h1>
        {lost > 0 ? (
          <span class="tag tag-warn" data-lost-count={lost}>
            {lost} lost
          </span>
        ) : null}
      </div>
      {error ? <p class="error-text">{error}</p> : null}
      {nodes === null ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <article class="card wide" aria-labelledby="nodes-list-title">
            <h2 id="nodes-list-title" class="visually-hidden">
              Every node
            </h2>
            <div class="table-wrap">
              <table class="nodes">
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">State</th>
                    <th scope="col">Host · pid</th>
                    <th scope="col">Profile</th>
                    <th scope="col">Last heartbeat</th>
                    <th scope="col">Holds</th>
                    <th scope="col">Runs</th>
                  </tr>
                </thead>
                <tbody>
                  {nodes.map((n) => (
                    <NodeRow key={n.id} node={n} />
                  ))}
                </tbody>
              </table>
            </div>
          </article>
          <article class="card wide" aria-labelledby="leases-title">
            <h2 id="leases-title">Cluster daemons</h2>
            {leases.length === 0 ? (
              <p class="muted">
                No lease is held: no daemon declared <code>scope: "cluster"</code> runs now.
              </p>
            ) : (
              <div class="table-wrap">
                <table class="leases">
                  <thead>
                    <tr>
                      <th scope="col">Daemon</th>
                      <th scope="col">Holder</th>
                      <th scope="col">Fencing token</th>
                      <th scope="col">Lease expires</th>
                    </tr>
                  </thead>
                  <tbody>
                    {leases.map((l) => (
                      <tr key={l.name} data-lease={l.name} data-holder={l.holder.id}>
                        <td data-label="Daemon">
                          <a href={daemonHref(l.name)}>{l.name}</a>
                        </td>
                        <td data-label="Holder">{l.holder.id}</td>
                        <td data-label="Fencing token">#{l.token}</td>
                        <td data-label="Lease expires">
                          <Ago at={l.expiresAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </article>
        </>
      )}
    </section>
  );
}

function NodeRow({ node: n }: { node: ClusterNode }) {
  const state = n.state ?? "live";
  const runs = n.runs ?? [];
  const holds = n.holds ?? [];
  const running = runs.filter((r) => r.state === "running").length;
  return (
    <tr data-node={n.id} data-node-state={state} class={state === "lost" ? "node-lost" : undefined}>
      <th scope="row" data-label="Node">
        {n.url && !n.self && state === "live" ? (
          <a href={n.url} title="this node's dashboard">
            {n.id}
          </a>
        ) : (
          n.id
        )}
        {n.self ? <span class="tag">this node</span> : null}
      </th>
      <td data-label="State">
        <span class={`state ${STATE_CLASS[state]}`}>{state}</span>
      </td>
      <td data-label="Host · pid">
        {n.host} · {n.pid}
      </td>
      <td data-label="Profile">{n.profile ?? <span class="muted">—</span>}</td>
      <td data-label="Last heartbeat">
        {n.lastHeartbeatAt ? (
          <span title={fullTime(n.lastHeartbeatAt)}>
            <Ago at={n.lastHeartbeatAt} />
          </span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Holds" data-holds={holds.map((h) => h.name).join(",")}>
        {holds.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          holds.map((h, i) => (
            <span key={h.name}>
              {i > 0 ? ", " : null}
              <code>{h.name}</code> #{h.token}
            </span>
          ))
        )}
      </td>
      <td data-label="Runs">
        {runs.length === 0 ? (
          <span class="muted">nothing</span>
        ) : (
          <details>
            <summary>
              {running} running of {runs.length}
            </summary>
            <ul>
              {runs.map((r) => (
                <li key={r.name}>
                  {r.name} <span class={`state state-${r.state}`}>{r.state}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
    </tr>
  );
}
