import type { StoredLog } from "../store/types.js";
import type { LogEntry, LogQuery } from "../supervisor/log-ring.js";
import { createDaemonLogger } from "../supervisor/logger.js";
import type { Runtime } from "./runtime.js";

/** Recent log lines (from the store when there is one), oldest first. */
export async function queryLogs(rt: Runtime, query: LogQuery): Promise<LogEntry[]> {
  const { persistence } = rt;
  if (!persistence || persistence.store.kind === "memory") return rt.logRing.query(query);
  // Lines still in the write buffer belong in the answer too.
  await persistence.store.writes.flush().catch(() => {});
  const rows = await persistence.store.queryLogs({
    ...query,
    order: "desc",
    limit: query.limit ?? 1000,
  });
  return rows.reverse().map((r: StoredLog) => ({
    id: r.id,
    at: r.time,
    daemon: r.daemon,
    level: r.level,
    message: r.message,
    fields: r.fields,
  }));
}

/**
 * A daemon's `ctx.log` (inline, worker, process and command daemons alike): to the base logger,
 * the in-memory ring, the store, the daemon's log file (config `logFiles`) and `daemon:log`.
 */
export function daemonLog(
  rt: Pick<Runtime, "clock" | "logger" | "logRing" | "persistence" | "emit" | "logFiles">,
  name: string,
) {
  return createDaemonLogger(rt.logger, name, (level, message, fields) => {
    const at = rt.clock.now();
    rt.logRing.push({ at, daemon: name, level, message, fields });
    rt.persistence?.log({ time: at, daemon: name, level, message, fields });
    rt.logFiles?.write({ at, daemon: name, level, message, fields });
    rt.emit("daemon:log", { name, level, message, fields, at });
  });
}
