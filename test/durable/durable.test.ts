import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PG_URL, postgresAvailable, randomSchema } from "../store/helpers/databases.js";

const fixture = fileURLToPath(new URL("./fixtures/node.ts", import.meta.url));
const children: ChildProcess[] = [];
const outputs = new Map<ChildProcess, () => string>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function run(storeUrl: string, role: string, dir: string, count: number): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fixture, storeUrl, role, dir, String(count)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdout?.on("data", (chunk) => {
    stderr += chunk;
  });
  outputs.set(child, () => `${role}: ${stderr.slice(-2000)}`);
  child.on("exit", (code, signal) => {
    if (code && code !== 0)
      console.error(`fixture ${role} exited ${code} ${signal ?? ""}: ${stderr}`);
  });
  children.push(child);
  return child;
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : [];

async function until(what: string, check: () => boolean, timeoutMs = 50_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      const seen = children.map((c) => outputs.get(c)?.() ?? "").join("\n");
      throw new Error(`timed out waiting for ${what}; child output:\n${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve()
      : child.once("exit", () => resolve()),
  );

const hasPostgres = await postgresAvailable();
const schemas: string[] = [];

function storeFor(kind: "sqlite" | "postgres", dir: string): string {
  if (kind === "sqlite") return `sqlite:${join(dir, "state.db")}`;
  const schema = randomSchema();
  schemas.push(schema);
  return `${PG_URL}?schema=${schema}`;
}

// Child processes start slowly on a loaded 2-core machine (tsx compiles the fixture first).
describe.each(["sqlite", "postgres"] as const)(
  "durable events on %s",
  { timeout: 90_000 },
  (kind) => {
    const skip = kind === "postgres" && !hasPostgres;

    afterEach(async () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      if (kind === "postgres" && hasPostgres) {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        for (const schema of schemas.splice(0))
          await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      }
    });

    it.skipIf(skip)(
      "survive kill -9: each subscriber resumes after its last handled event, each event handled once",
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "ringmaster-durable-"));
        dirs.push(dir);
        const store = storeFor(kind, dir);
        const handled = join(dir, "handled");
        const started = join(dir, "handled.start");
        const first = run(store, "kill-phase-1", dir, 60);
        await until("ten events handled", () => lines(handled).length >= 10);
        // kill while a handler is mid-way (its start marked, its end not), well after the previous
        // event's cursor was written
        const done = lines(handled).length;
        await until("the next handler to start", () => lines(started).length > done);
        await new Promise((resolve) => setTimeout(resolve, 30));
        first.kill("SIGKILL");
        await exited(first);
        const before = lines(handled);
        expect(before.length).toBeLessThan(60);

        const second = run(store, "kill-phase-2", dir, 0);
        await until("all 60 events handled", () => new Set(lines(handled)).size >= 60);
        await new Promise((resolve) => setTimeout(resolve, 300)); // anything handled twice would show now
        const all = lines(handled);
        expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        second.kill("SIGTERM");
        await exited(second);
      },
    );

    it.skipIf(skip)("flow between two processes on one store, both ways", async () => {
      const dir = mkdtempSync(join(tmpdir(), "ringmaster-durable-"));
      dirs.push(dir);
      const store = storeFor(kind, dir);
      const a = run(store, "a", dir, 25);
      const b = run(store, "b", dir, 25);
      const expected = Array.from({ length: 25 }, (_, i) => i + 1);
      await until(
        "both sides to receive 25 events",
        () => lines(join(dir, "a-got")).length >= 25 && lines(join(dir, "b-got")).length >= 25,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lines(join(dir, "a-got"))).toEqual(expected);
      expect(lines(join(dir, "b-got"))).toEqual(expected);
      a.kill("SIGTERM");
      b.kill("SIGTERM");
      await Promise.all([exited(a), exited(b)]);
      expect(a.exitCode).toBe(0);
      expect(b.exitCode).toBe(0);
    });
  },
);
