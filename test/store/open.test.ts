import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/errors.js";
import { createStore } from "../../src/store/open.js";
import { parseStoreUrl, redactUrl } from "../../src/store/url.js";

const dir = mkdtempSync(join(tmpdir(), "ringmaster-open-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openError(url: string, options = {}): Promise<StoreError> {
  const store = createStore(url, options);
  try {
    await store.open();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  } finally {
    await store.close();
  }
  throw new Error(`opening ${url} succeeded`);
}

describe("createStore", () => {
  it("chooses the implementation by URL", () => {
    expect(createStore("memory:").kind).toBe("memory");
    expect(createStore(`sqlite:${join(dir, "a.db")}`).kind).toBe("sqlite");
    expect(createStore("postgres://u@localhost/db").kind).toBe("postgres");
    expect(createStore("postgresql://u@localhost/db").kind).toBe("postgres");
    expect(createStore().url).toBe("sqlite:.ringmaster/state.db");
  });

  it.each([
    ["", /the store URL is empty/],
    ["mysql://u@h/db", /unsupported store URL/],
    ["sqlite:", /no file path/],
    ["postgres://", /malformed|no host/],
    ["postgres://u@h/db?schema=bad-name", /not a plain identifier/],
  ])("refuses the malformed URL %j in one line that says what to use", (url, problem) => {
    let error: unknown;
    try {
      createStore(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    const message = (error as Error).message;
    expect(message).toMatch(problem);
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^store .*: .*; /);
  });

  it("redacts passwords in URLs and messages", async () => {
    expect(redactUrl("postgres://ringmaster:s3cret@db:5432/x")).toBe(
      "postgres://ringmaster:***@db:5432/x",
    );
    expect(parseStoreUrl("postgres://u:pw@h/db").url).toBe("postgres://u:***@h/db");
    const error = await openError("postgres://postgres:s3cret@127.0.0.1:1/test", {
      connectTimeoutMs: 2000,
    });
    expect(error.message).not.toContain("s3cret");
    expect(error.message).toContain("postgres://postgres:***@127.0.0.1:1/test");
  });

  it("says which PostgreSQL it cannot reach, and what to check", async () => {
    const error = await openError("postgres://postgres@127.0.0.1:1/test", {
      connectTimeoutMs: 2000,
    });
    expect(error.message).toMatch(
      /^store postgres:\/\/postgres@127\.0\.0\.1:1\/test: cannot connect \(.*ECONNREFUSED.*\); check that PostgreSQL is running/,
    );
    expect(error.message).not.toContain("\n");
  });

  it("says which SQLite path is not writable", async () => {
    const file = join(dir, "not-a-directory");
    writeFileSync(file, "x");
    const url = `sqlite:${join(file, "state.db")}`;
    const error = await openError(url);
    expect(error.message).toContain(`store ${url}: cannot create the directory ${file}`);
    expect(error.message).toContain("choose a writable location");
    expect(error.message).not.toContain("\n");
  });

  it("creates the SQLite directory and opens in WAL mode", async () => {
    const path = join(dir, "nested", "deeper", "state.db");
    const store = createStore(`sqlite:${path}`);
    await store.open();
    await store.close();
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });
});

describe("several processes opening one new SQLite file at once", () => {
  it("all open it: the one that loses the race to migrate finds the winner's schema", async () => {
    const { spawn } = await import("node:child_process");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { fileURLToPath } = await import("node:url");
    const fixture = fileURLToPath(new URL("./fixtures/open.ts", import.meta.url));
    for (let round = 0; round < 3; round++) {
      const dir = mkdtempSync(join(tmpdir(), "ringmaster-race-"));
      const url = `sqlite:${join(dir, "state.db")}`;
      const at = String(Date.now() + 4_000);
      const outputs = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<string>((resolve) => {
              const child = spawn(process.execPath, ["--import", "tsx", fixture, url, at]);
              let out = "";
              child.stdout.on("data", (chunk) => {
                out += chunk;
              });
              child.stderr.on("data", (chunk) => {
                out += chunk;
              });
              child.on("exit", () => resolve(out.trim()));
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
      expect(outputs).toEqual(["ok", "ok", "ok", "ok"]);
    }
  }, 60_000);

  it("refuses a SQLite file with a valid header over damaged pages, naming the file and what to do", async () => {
    const file = join(dir, "damaged.db");
    const store = createStore(`sqlite:${file}`);
    await store.open();
    await store.appendEvents(
      Array.from({ length: 2000 }, (_, i) => ({
        id: `e${i}`,
        type: "T",
        payload: { pad: "x".repeat(200) } as never,
        source: "s",
        time: i,
      })),
    );
    await store.close();
    // Pages 5..7 overwritten: the header (page 1) stays valid.
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.alloc(3 * 4096, 0x5a), 0, 3 * 4096, 4 * 4096);
    closeSync(fd);
    const error = await openError(`sqlite:${file}`);
    expect(error.message).toContain(`the store file ${file} is damaged`);
    expect(error.message).toMatch(/restore .* from a backup, or move it away/);
  });
});
