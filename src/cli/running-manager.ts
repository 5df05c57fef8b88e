import { hostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { resolveNodeId } from "../cluster/node-id.js";
import {
  ApiError,
  createClient,
  ManagerUnreachableError,
  type RingmasterClient,
} from "../http/client.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import type { RingmasterConfig } from "../registry/types.js";
import { parseStoreUrl } from "../store/url.js";
import { cliSettings } from "./config.js";
import { CliError, type CliIO, EXIT } from "./io.js";
import { recordedNodes } from "./recorded-urls.js";
import { PROBE_TIMEOUT } from "./remote.js";

/** A manager that already runs for the config `start` was given. */
export interface RunningManager {
  client: RingmasterClient;
  url: string;
  /** Why it counts as this config's: `it serves the config's address …`, `it runs as node …`. */
  because: string;
}

const urlHost = (host: string) => {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `[${h}]` : h;
};

/**
 * The manager `ringmaster start` should hand its daemons to instead of starting one, if any:
 *
 * - with `--url`, the manager there (none answering is exit 3: the user named it);
 * - else one answering `/health` at the config's HTTP address (after `${PREFIX}_DAEMON_HEALTH_PORT`
 *   and `_DAEMON_HOST`; not with port 0): a new manager could not bind it anyway;
 * - else a live node recorded in the config's store (SQLite path taken from `io.cwd`) that runs on
 *   this host as the node id this start would take (`${PREFIX}_NODE_ID`, else `<host>/<profile>`):
 *   a new manager would be refused as a second live node with that id.
 *
 * Another manager on the same store under another node id is another node of the cluster, and
 * `start` begins a new one beside it, as before. Something that answers but is no ringmaster
 * manager does not count (the new manager's start then says the port is taken).
 */
export async function findRunningManager(
  config: RingmasterConfig,
  io: CliIO,
  options: { url?: string | undefined; token?: string | undefined; profile?: string | undefined },
): Promise<RunningManager | undefined> {
  const settings = await cliSettings(config, io.env);
  const token = options.token ?? settings.apiToken;
  const answers = async (url: string): Promise<RingmasterClient | undefined> => {
    try {
      await createClient(url, { timeout: PROBE_TIMEOUT }).health();
      return createClient(url, token === undefined ? {} : { token });
    } catch (error) {
      if (error instanceof ManagerUnreachableError || error instanceof ApiError) return undefined;
      throw error;
    }
  };

  if (options.url !== undefined) {
    const url = (/^https?:\/\//i.test(options.url) ? options.url : `http://${options.url}`).replace(
      /\/+$/,
      "",
    );
    const client = await answers(url);
    if (!client)
      throw new CliError(EXIT.unreachable, [
        `no ringmaster manager answers at ${url} (--url)`,
        "leave --url out to start a manager here in the foreground",
      ]);
    return { client, url, because: "--url" };
  }

  if (settings.http !== false && settings.http.port !== 0) {
    const url = `http://${urlHost(settings.http.host)}:${settings.http.port}`;
    const client = await answers(url);
    if (client) return { client, url, because: "it serves the config's HTTP address" };
  }

  const nodeId = resolveNodeId({
    fromEnv: settings.nodeId,
    host: hostname(),
    profile: options.profile ?? null,
  });
  const store = absoluteStore(settings.store ?? config.store ?? MANAGER_DEFAULTS.store, io);
  for (const node of await recordedNodes(store)) {
    if (node.id !== nodeId) continue;
    const client = await answers(node.url);
    if (client) return { client, url: node.url, because: `it runs as node ${nodeId}` };
  }
  return undefined;
}

function absoluteStore(raw: string, io: CliIO): string {
  try {
    const target = parseStoreUrl(raw);
    if (target.kind === "sqlite" && target.path !== ":memory:" && !isAbsolute(target.path))
      return `sqlite:${resolve(io.cwd ?? process.cwd(), target.path)}`;
  } catch {}
  return raw;
}
