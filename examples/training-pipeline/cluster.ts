/**
 * `npm run example:cluster`: the training pipeline as three node processes of one machine —
 * coordinator, training node and selfplay node, each `ringmaster start --profile <role>` on one
 * shared SQLite file — and a live printout of where each `scope: "cluster"` daemon runs (node →
 * daemons, with the fencing token of each lease). `kill -9` one of the printed pids and watch its
 * daemons move to the other two within `leaseTtl + renewInterval`. Ctrl-C stops all three.
 *
 * Each node serves its dashboard and API on its own port (8790, 8791, 8792) and writes its log
 * lines to `.ringmaster/cluster/<role>.log`. `launchCluster` is the building block the test uses.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CLUSTER_NODES, CLUSTER_SCOPED } from "./cluster-fleet.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "src/cli/bin.ts");
const CONFIG = fileURLToPath(new URL("./cluster.config.ts", import.meta.url));
/** How long a node may take from spawn to its HTTP server listening. */
const BOOT_TIMEOUT = 60_000;
/** How long a node may take to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT = 20_000;

export interface NodeProcess {
  profile: string;
  pid: number;
  /** Its HTTP server (dashboard and API). */
  url: string;
  log: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A node as `GET /api/nodes` shows it, with the leases it holds. */
export interface PlacedNode {
  id: string;
  profile: string | null;
  pid: number;
  url: string | null;
  state: "live" | "lost" | "stopped";
  holds: Array<{ name: string; token: number }>;
  runs: Array<{ name: string; state: string }>;
}

export interface LaunchOptions {
  /** Where the store file and the node logs go. */
  dir: string;
  /** HTTP port per role; default 8790, 8791, 8792 (0: any free port). */
  ports?: Readonly<Record<string, number>>;
  /** Lease timings in ms, replacing the demo's (cluster-fleet.ts). */
  timings?: Readonly<Record<string, number>>;
}

export interface ClusterLaunch {
  nodes: NodeProcess[];
  /** Every node of the store as any node still answering sees it; undefined when none answers. */
  placement(): Promise<PlacedNode[] | undefined>;
  /** SIGTERM to every node still running, then waits for each to exit (SIGKILL after a while). */
  stop(): Promise<void>;
}

function startNode(role: string, port: number, options: LaunchOptions): Promise<NodeProcess> {
  const log = join(options.dir, `${role}.log`);
  const out = createWriteStream(log, { flags: "a" });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", BIN, "start", "--config", CONFIG, "--profile", role, "--no-tui"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        RINGMASTER_STORE: `sqlite:${join(options.dir, "state.db")}`,
        RINGMASTER_DAEMON_HEALTH_PORT: String(port),
        ...(options.timings ? { TRAINING_CLUSTER_TIMINGS: JSON.stringify(options.timings) } : {}),
      },
      // Its own process group: Ctrl-C reaches the launcher alone, which stops each node once.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  child.stderr?.pipe(out);
  return new Promise((resolveNode, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node ${role} did not listen within ${BOOT_TIMEOUT} ms; see ${log}`));
    }, BOOT_TIMEOUT);
    let seen = "";
    let listening = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      out.write(chunk);
      if (listening) return;
      seen += String(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      const url = match[1] as string;
      resolveNode({ profile: role, pid: child.pid as number, url, log, child, exited });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`node ${role} exited (${signal ?? code}) before it listened; see ${log}`));
    });
  });
}

/** Starts the three nodes on one SQLite file in `options.dir`; resolves once each listens. */
export async function launchCluster(options: LaunchOptions): Promise<ClusterLaunch> {
  mkdirSync(options.dir, { recursive: true });
  const started = await Promise.allSettled(
    CLUSTER_NODES.map((n) => startNode(n.profile, options.ports?.[n.profile] ?? n.port, options)),
  );
  const nodes = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const stop = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        n.child.kill("SIGTERM");
        const timer = setTimeout(() => n.child.kill("SIGKILL"), STOP_TIMEOUT);
        await n.exited;
        clearTimeout(timer);
      }),
    );
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    nodes,
    stop,
    async placement() {
      for (const n of nodes) {
        if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
        try {
          const response = await fetch(`${n.url}/api/nodes`, {
            signal: AbortSignal.timeout(1_000),
          });
          if (response.ok) return (await response.json()) as PlacedNode[];
        } catch {
          // This node is going away; ask the next one.
        }
      }
      return undefined;
    },
  };
}

/** The printout: one line per node (its cluster daemons with their tokens), then the unplaced. */
export function formatPlacement(nodes: readonly PlacedNode[]): string[] {
  const width = Math.max(...nodes.map((n) => n.id.length));
  const placed = new Set<string>();
  const lines = nodes.map((n) => {
    const holds = n.holds
      .filter((h) => CLUSTER_SCOPED.includes(h.name as (typeof CLUSTER_SCOPED)[number]))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const h of holds) placed.add(h.name);
    const daemons = holds.map((h) => `${h.name} #${h.token}`).join(", ") || "—";
    return `  ${n.id.padEnd(width)}  pid ${String(n.pid).padEnd(7)} ${n.state.padEnd(7)} ${n.url ?? "-"}  ${daemons}`;
  });
  const unplaced = CLUSTER_SCOPED.filter((name) => !placed.has(name));
  if (unplaced.length > 0) lines.push(`  not running anywhere yet: ${unplaced.join(", ")}`);
  return lines;
}

/** The time of day of a printout, UTC: `11:09:17`. */
const time = () => new Date().toISOString().slice(11, 19);

async function main() {
  const dir = resolve(process.cwd(), ".ringmaster/cluster");
  let cluster: ClusterLaunch | undefined;
  let stopping = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const shutdown = async () => {
    if (stopping) {
      for (const n of cluster?.nodes ?? []) n.child.kill("SIGKILL");
      process.exit(1);
    }
    stopping = true;
    clearInterval(timer);
    // Still booting: launchCluster resolves (or fails) first, then this stops what it started.
    if (!cluster) return;
    console.log("\nstopping the nodes (Ctrl-C again to kill them) …");
    await cluster.stop();
    for (const n of cluster.nodes) {
      const { code, signal } = await n.exited;
      console.log(`  ${n.profile.padEnd(14)} pid ${n.pid}  exited: ${signal ?? code}`);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  // The nodes have their own process groups: never leave them behind when the launcher exits.
  process.on("exit", () => {
    for (const n of cluster?.nodes ?? []) if (n.child.exitCode === null) n.child.kill("SIGTERM");
  });

  console.log(`starting 3 nodes on sqlite:${join(dir, "state.db")} …`);
  cluster = await launchCluster({ dir });
  if (stopping) {
    stopping = false;
    return shutdown();
  }
  for (const n of cluster.nodes) {
    console.log(`  ${n.profile.padEnd(14)} pid ${n.pid}  ${n.url}  (log: ${n.log})`);
    void n.exited.then(({ code, signal }) => {
      if (!stopping)
        console.log(`${time()}  node ${n.profile} (pid ${n.pid}) exited: ${signal ?? code}`);
    });
  }
  console.log("kill -9 one of these pids to see its daemons move; Ctrl-C stops all three.\n");

  const running = cluster;
  let last = "";
  timer = setInterval(async () => {
    const nodes = await running.placement();
    if (!nodes || stopping) return;
    const lines = formatPlacement(nodes);
    const key = lines.join("\n");
    if (key === last) return;
    last = key;
    console.log(`${time()}  where the cluster daemons run:`);
    for (const line of lines) console.log(line);
  }, 500);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
