/**
 * Daemon settings in SQL: the `daemon_settings` table (enabled, auto-start and config overrides
 * an operator set, by daemon name).
 */
import { fromJson, toJson } from "./json.js";
import type { Database } from "./schema.js";
import { boolOrNull, num, type SqlOp } from "./sql-rows.js";
import type { DaemonSettings, DaemonSettingsMethods } from "./types.js";

/** The daemon settings part of the SQL store. */
export function sqlDaemonSettingsMethods(op: SqlOp): DaemonSettingsMethods {
  return {
    setDaemonSettings: (name, patch, at) =>
      op(async (db) => {
        const flag = (v: boolean | null | undefined) =>
          v === undefined || v === null ? null : v ? 1 : 0;
        const overrides =
          patch.configOverrides === undefined || patch.configOverrides === null
            ? null
            : toJson(patch.configOverrides);
        await db
          .insertInto("daemon_settings")
          .values({
            name,
            enabled: flag(patch.enabled),
            auto_start: flag(patch.autoStart),
            config_overrides: overrides,
            updated_at: at,
          })
          .onConflict((oc) =>
            oc.column("name").doUpdateSet({
              updated_at: at,
              ...(patch.enabled !== undefined ? { enabled: flag(patch.enabled) } : {}),
              ...(patch.autoStart !== undefined ? { auto_start: flag(patch.autoStart) } : {}),
              ...(patch.configOverrides !== undefined ? { config_overrides: overrides } : {}),
            }),
          )
          .execute();
        const row = await db
          .selectFrom("daemon_settings")
          .selectAll()
          .where("name", "=", name)
          .executeTakeFirstOrThrow();
        return settingsFromRow(row);
      }),

    loadDaemonSettings: () =>
      op(async (db) => {
        const rows = await db.selectFrom("daemon_settings").selectAll().orderBy("name").execute();
        return rows.map(settingsFromRow);
      }),
  };
}

function settingsFromRow(row: Database["daemon_settings"]): DaemonSettings {
  return {
    name: row.name,
    enabled: boolOrNull(row.enabled),
    autoStart: boolOrNull(row.auto_start),
    configOverrides: fromJson(row.config_overrides) as Record<string, unknown> | null,
    updatedAt: num(row.updated_at),
  };
}
