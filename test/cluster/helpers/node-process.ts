import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The node processes: the lease keeper alone, or the whole manager (`fixtures/*.ts`). */
const FIXTURES = {
  keeper: fileURLToPath(new URL("../fixtures/lease-node.ts", import.meta.url)),
  manager: fileURLToPath(new URL("../fixtures/manager-node.ts", import.meta.url)),
};

/** Short timings so the multi-process tests take seconds: the bounds scale with them. */
export const FAST = {
  renewInterval: 200,
  leaseTtl: 1_000,
  safetyMargin: 300,
  nodeTtl: 1_500,
  heartbeatInterval: 200,
};

export interface NodeLine {
  node: string;
  words: string[];
  at: number;
}

/** A node process of the lease tests, and what it said. */
export interface NodeProcess {
  id: string;
  child: ChildProcess;
  exited: Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

export interface Cluster {
  lines: NodeLine[];
  spawn(id: string, env: Record<string, string>): Promise<NodeProcess>;
  /** Resolves with the first line from `from` (any node by default) matching. */
  waitFor(match: (line: NodeLine) => boolean, timeoutMs?: number): Promise<NodeLine>;
  stopAll(): Promise<void>;
}

export function nodeCluster(
  base: Record<string, string>,
  fixture: keyof typeof FIXTURES = "manager",
): Cluster {
  const lines: NodeLine[] = [];
  const children = new Set<NodeProcess>();
  const waiters = new Set<() => void>();

  return {
    lines,
    async spawn(id, env) {
      const spawnedAt = Date.now();
      const child = spawn(process.execPath, ["--import", "tsx", FIXTURES[fixture]], {
        env: { ...process.env, TIMINGS: JSON.stringify(FAST), ...base, NODE_ID: id, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (chunk) => {
        stderr += String(chunk);
      });
      let buffer = "";
      child.stdout?.on("data", (chunk) => {
        buffer += String(chunk);
        for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
          const words = buffer.slice(0, at).trim().split(" ");
          buffer = buffer.slice(at + 1);
          lines.push({ node: id, words: words.slice(0, -1), at: Number(words.at(-1)) });
          for (const wake of [...waiters]) wake();
        }
      });
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const proc: NodeProcess = { id, child, exited, kill: (signal) => child.kill(signal) };
      children.add(proc);
      void exited.then(() => children.delete(proc));
      // This process's "ready", not an earlier one of the same id (a node restarted in place).
      await this.waitFor(
        (l) => l.node === id && l.words[0] === "ready" && l.at >= spawnedAt,
        30_000,
      ).catch((error) => {
        throw new Error(`${id} did not start: ${error}\n${stderr}`);
      });
      return proc;
    },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out; lines so far:\n${lines.map((l) => `${l.node} ${l.words.join(" ")} ${l.at}`).join("\n")}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stopAll() {
      for (const proc of children) proc.kill("SIGKILL");
      await Promise.all([...children].map((p) => p.exited));
    },
  };
}

export interface Cycle {
  node: string;
  daemon: string;
  token: number;
  start: number;
  end: number;
}

export function readCycles(file: string): Cycle[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [node, daemon, token, start, end] = line.split(" ");
      return {
        node: node as string,
        daemon: daemon as string,
        token: Number(token),
        start: Number(start),
        end: Number(end),
      };
    });
}

/** Pairs of cycles of one daemon under different tokens whose [start, end] intervals overlap. */
export function overlaps(cycles: readonly Cycle[]): [Cycle, Cycle][] {
  const found: [Cycle, Cycle][] = [];
  const sorted = [...cycles].sort((a, b) => a.start - b.start);
  const lastEnd = new Map<string, Cycle>();
  for (const cycle of sorted) {
    const previous = lastEnd.get(cycle.daemon);
    if (previous && previous.token !== cycle.token && cycle.start <= previous.end) {
      found.push([previous, cycle]);
    }
    if (!previous || cycle.end > previous.end) lastEnd.set(cycle.daemon, cycle);
  }
  return found;
}
