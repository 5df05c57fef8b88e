import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/types.js";
import {
  type DatabaseKind,
  postgresAvailable,
  type TestDatabase,
  testDatabase,
} from "../store/helpers/databases.js";
import { type Cluster, nodeCluster } from "./helpers/node-process.js";

// Events across real manager processes on one store (DESIGN.md §8): a node-scoped subscriber
// has a cursor per node; a cluster daemon's subscriber one cursor, moved by the lease holder.
const pg = await postgresAvailable();
const kinds: DatabaseKind[] = ["sqlite"];
if (pg) kinds.push("postgres");

describe.each(kinds)("events across node processes (%s)", { timeout: 120_000 }, (kind) => {
  let database: TestDatabase;
  let dir: string;
  let handledFile: string;
  let cluster: Cluster;
  let store: Store;
  let published = 0;

  beforeEach(async () => {
    database = testDatabase(kind);
    dir = mkdtempSync(join(tmpdir(), "ringmaster-cluster-events-"));
    handledFile = join(dir, "handled.log");
    cluster = nodeCluster({
      STORE_URL: database.url,
      PG_SCHEMA: (database.options.schema as string | undefined) ?? "",
      CYCLES_FILE: join(dir, "cycles.log"),
      HANDLED_FILE: handledFile,
      DAEMONS: "",
      SUBSCRIBE: "1",
    });
    store = database.store();
    await store.open();
    published = 0;
  });

  afterEach(async () => {
    await cluster.stopAll();
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (count: number) => {
    const events = Array.from({ length: count }, () => {
      published++;
      return {
        id: `e${published}-${dir}`,
        type: "TEST_CLUSTER_EVENT",
        payload: { n: published },
        source: "test",
        time: Date.now(),
      };
    });
    await store.appendEvents(events);
    await store.notify("events");
  };

  /** "node daemon n" lines, as the fixtures append them. */
  const handled = () =>
    existsSync(handledFile)
      ? readFileSync(handledFile, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => {
            const [node, daemon, n] = line.split(" ");
            return { node: node as string, daemon: daemon as string, n: Number(n) };
          })
      : [];
  const seen = (node: string | undefined, daemon: string) =>
    new Set(
      handled()
        .filter((h) => h.daemon === daemon && (node === undefined || h.node === node))
        .map((h) => h.n),
    );
  const until = async (what: string, ok: () => boolean, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(handled())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it("a restarted node handles the events published while it was down (its own cursor)", async () => {
    await cluster.spawn("n1", {});
    const n2 = await cluster.spawn("n2", {});
    await publish(5);
    await until(
      "both nodes handle 1..5",
      () => seen("n1", "local_consumer").size === 5 && seen("n2", "local_consumer").size === 5,
    );
    n2.kill("SIGTERM");
    await n2.exited;
    await publish(5);
    await until("n1 handles 6..10", () => seen("n1", "local_consumer").size === 10);
    await cluster.spawn("n2", {});
    await until("n2 catches up", () => seen("n2", "local_consumer").size === 10);
    expect([...seen("n2", "local_consumer")].sort((a, b) => a - b)).toEqual(upTo(10));
    // Each node handled each event once: the restart resumed from n2's cursor, not n1's.
    const n2Lines = handled().filter((h) => h.node === "n2" && h.daemon === "local_consumer");
    expect(n2Lines.length).toBe(10);
  });

  it("a cluster subscriber handles each event once across the cluster, across a hand-over", async () => {
    const procs = new Map([
      ["n1", await cluster.spawn("n1", {})],
      ["n2", await cluster.spawn("n2", {})],
    ]);
    await publish(5);
    await until("1..5 handled", () => seen(undefined, "cluster_consumer").size === 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const holder = handled().find((h) => h.daemon === "cluster_consumer")?.node as string;
    const proc = procs.get(holder);
    proc?.kill("SIGTERM");
    await proc?.exited;
    await publish(5);
    await until("6..10 handled", () => seen(undefined, "cluster_consumer").size === 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lines = handled().filter((h) => h.daemon === "cluster_consumer");
    expect(lines.map((h) => h.n).sort((a, b) => a - b)).toEqual(upTo(10));
    expect(new Set(lines.filter((h) => h.n > 5).map((h) => h.node))).toEqual(
      new Set([holder === "n1" ? "n2" : "n1"]),
    );
  });
});
