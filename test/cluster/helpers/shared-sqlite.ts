/**
 * Managers of this process sharing one SQLite file as cluster nodes: `sharedStore()` makes a
 * fresh file's store URL, `track(manager)` has it shut down after the test; the files go too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { Manager } from "../../../src/index.js";

export function sharedSqliteNodes(prefix: string) {
  const dirs: string[] = [];
  const managers: Manager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 5_000 })));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    sharedStore(): string {
      const dir = mkdtempSync(join(tmpdir(), `ringmaster-${prefix}-`));
      dirs.push(dir);
      return `sqlite:${join(dir, "state.db")}`;
    },
    track(manager: Manager): Manager {
      managers.push(manager);
      return manager;
    },
  };
}
