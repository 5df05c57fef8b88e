// The daemon record's `enabled` follows an operator override at once (issue 15, item 6), on the
// real stores: a SQLite file and PostgreSQL.
import { createManager, defineConfig, defineDaemon } from "ringmaster";
import { afterEach, describe, expect, it } from "vitest";
import { inspectManager } from "../../src/manager/internal-access.js";
import { postgresAvailable, type TestDatabase, testDatabase } from "../store/helpers/databases.js";

const hasPostgres = await postgresAvailable();
const opened: TestDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.drop();
});

describe.each(["sqlite", "postgres"] as const)("daemon record on %s", (kind) => {
  it.skipIf(kind === "postgres" && !hasPostgres)(
    "shows enabled: false as soon as the override is saved, while the daemon still runs",
    async () => {
      const db = testDatabase(kind);
      opened.push(db);
      const url = kind === "postgres" ? `${db.url}?schema=${db.options.schema}` : db.url;
      const autoSync = defineDaemon({ name: "auto_sync", interval: "1h", cycle() {} });
      const manager = createManager(defineConfig({ daemons: [autoSync], store: url }), {
        logger: false,
        env: {},
      });
      await manager.start();
      const inspection = inspectManager(manager);
      await inspection.setOverrides("auto_sync", { enabled: false });
      await inspection.store?.writes.flush();

      const reader = db.store();
      await reader.open();
      try {
        const [record] = await reader.loadDaemons();
        expect(record).toMatchObject({ name: "auto_sync", state: "running", enabled: false });
      } finally {
        await reader.close();
        await manager.shutdown();
      }
    },
  );
});
