import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Command } from "commander";
import { upperSnake } from "../config/env.js";
import { findConfigFile } from "../config/load.js";
import { resolveConfig } from "../config/resolve.js";
import { createClient, ManagerUnreachableError, type RingmasterClient } from "../http/client.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { SECOND } from "../registry/duration.js";
import type { RingmasterConfig } from "../registry/types.js";
import { createStore } from "../store/open.js";
import type { NodeRecord, Store } from "../store/types.js";
import { parseStoreUrl } from "../store/url.js";
import { loadCliConfig } from "./config.js";
import { CliError, type CliIO, EXIT } from "./io.js";

/** The flags every command that talks to a manager takes. */
export interface RemoteFlags {
  url?: string;
  token?: string;
  config?: string;
}

/** How long a probe of a possible manager waits before calling it unreachable. */
export const PROBE_TIMEOUT = 3 * SECOND;
/** A node record whose heartbeat is older than this is not tried (the manager beats every 5 s). */
export const NODE_STALE_AFTER = 20 * SECOND;

/** Adds `--url`, `--token` and `--config` to a command that talks to a manager. */
export function remoteOptions(command: Command): Command {
  return command
    .option("--url <url>", "the manager's HTTP address (default: $RINGMASTER_URL, then the config)")
    .option("--token <token>", "API token for changes (default: $RINGMASTER_API_TOKEN)")
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)");
}

/**
 * Where a command finds the manager and, when none answers, its recorded state:
 *
 * 1. `--url`, else `${PREFIX}_URL`, else `RINGMASTER_URL` (only that address is tried);
 * 2. else the config's `http` host and port, after `${PREFIX}_DAEMON_HEALTH_PORT` / `_DAEMON_HOST`
 *    (the default `127.0.0.1:8790` without a config);
 * 3. and, when that does not answer, the URL in a live node record of the store (when the manager
 *    records one).
 *
 * The token is `--token`, else `${PREFIX}_API_TOKEN` (`RINGMASTER_API_TOKEN`). The store is the
 * config's (after `${PREFIX}_STORE`), a relative SQLite path taken from the working directory.
 */
export interface Remote {
  /** The address tried first, for messages. */
  url: string;
  /** Where that address came from, e.g. `--url`, `RINGMASTER_URL`, `the config`. */
  urlSource: string;
  explicit: boolean;
  token: string | undefined;
  storeUrl: string;
  config: RingmasterConfig | undefined;
  /** The config file as given or found, for "how to start one" hints. */
  configFile: string | undefined;
  /** A client of a manager that answered `/health`; throws {@link CliError} exit 3 when none does. */
  connect(): Promise<RingmasterClient>;
  /** Like `connect`, but resolves undefined instead of throwing when no manager answers. */
  tryConnect(): Promise<RingmasterClient | undefined>;
  /** The reason the last `connect` failed, for messages. */
  readonly unreachableReason: string | undefined;
}

const hostForUrl = (host: string) => {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `[${h}]` : h;
};

export async function resolveRemote(flags: RemoteFlags, io: CliIO): Promise<Remote> {
  const cwd = io.cwd ?? process.cwd();
  let config: RingmasterConfig | undefined;
  let configFile: string | undefined;
  if (flags.config !== undefined || findConfigFile(cwd) !== undefined) {
    const loaded = await loadCliConfig(flags.config, io);
    config = loaded.config;
    configFile = relative(cwd, loaded.file) || loaded.file;
  }
  const prefix = upperSnake(config?.envPrefix ?? "RINGMASTER") || "RINGMASTER";
  let settings: ReturnType<typeof resolveConfig>["settings"] | undefined;
  if (config) {
    try {
      settings = resolveConfig(config, { env: io.env }).settings;
    } catch {
      // A bad daemon value in the environment must not hide the manager; `validate` reports it.
    }
  }
  const envValue = (name: string) => {
    const v = io.env[name];
    return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
  };
  const envFirst = (suffix: string): [string, string] | undefined => {
    for (const name of new Set([`${prefix}_${suffix}`, `RINGMASTER_${suffix}`])) {
      const v = envValue(name);
      if (v !== undefined) return [name, v];
    }
    return undefined;
  };

  let url: string;
  let urlSource: string;
  let explicit = true;
  const fromEnv = envFirst("URL");
  if (flags.url !== undefined) {
    url = flags.url;
    urlSource = "--url";
  } else if (fromEnv) {
    [urlSource, url] = fromEnv;
  } else {
    explicit = false;
    const http = settings ? settings.http : (config?.http ?? MANAGER_DEFAULTS.http);
    const { host, port } = http === false ? MANAGER_DEFAULTS.http : http;
    url = `http://${hostForUrl(host)}:${port === 0 ? MANAGER_DEFAULTS.http.port : port}`;
    urlSource =
      config === undefined
        ? "the default"
        : http === false
          ? "the default (the config has http: false)"
          : "the config";
  }
  if (!/^https?:\/\//i.test(url)) url = `http://${url}`;
  url = url.replace(/\/+$/, "");

  const token = flags.token ?? settings?.apiToken ?? envFirst("API_TOKEN")?.[1];
  let storeUrl =
    settings?.store ?? envFirst("STORE")?.[1] ?? config?.store ?? MANAGER_DEFAULTS.store;
  try {
    const target = parseStoreUrl(storeUrl);
    if (target.kind === "sqlite" && target.path !== ":memory:" && !isAbsolute(target.path))
      storeUrl = `sqlite:${resolve(cwd, target.path)}`;
  } catch {}

  const clientOptions = token === undefined ? {} : { token };
  let unreachableReason: string | undefined;
  const answers = async (candidate: string): Promise<RingmasterClient | undefined> => {
    const probe = createClient(candidate, { timeout: PROBE_TIMEOUT });
    try {
      await probe.health();
      return createClient(candidate, clientOptions);
    } catch (error) {
      if (!(error instanceof ManagerUnreachableError)) throw error;
      unreachableReason ??= error.message.replace(/^.*?: /, "");
      return undefined;
    }
  };

  const remote: Remote = {
    url,
    urlSource,
    explicit,
    token,
    storeUrl,
    config,
    configFile,
    get unreachableReason() {
      return unreachableReason;
    },
    async tryConnect() {
      unreachableReason = undefined;
      const first = await answers(url);
      if (first || explicit) return first;
      for (const candidate of await recordedUrls(storeUrl)) {
        if (candidate === url) continue;
        const found = await answers(candidate);
        if (found) return found;
      }
      return undefined;
    },
    async connect() {
      const client = await remote.tryConnect();
      if (client) return client;
      throw new CliError(EXIT.unreachable, unreachableLines(remote));
    },
  };
  return remote;
}

/** `no manager reachable at URL (ECONNREFUSED; from the config)` and how to start one. */
export function unreachableLines(remote: Remote): string[] {
  const reason = remote.unreachableReason ? `${remote.unreachableReason}; ` : "";
  const start =
    remote.configFile !== undefined
      ? `ringmaster start --config ${remote.configFile}`
      : "ringmaster start --config <file>";
  return [
    `no ringmaster manager reachable at ${remote.url} (${reason}address from ${remote.urlSource})`,
    `start one with \`${start}\`, or point at a running one with --url or RINGMASTER_URL`,
  ];
}

/**
 * Opens the store for reading what a manager recorded. Throws a {@link CliError} exit 3 when there
 * is nothing to read: a memory store, or a SQLite file that does not exist (opening would create it).
 */
export async function openRecordedStore(remote: Remote): Promise<Store> {
  const target = parseStoreUrl(remote.storeUrl);
  const lines = unreachableLines(remote);
  if (target.kind === "memory" || (target.kind === "sqlite" && target.path === ":memory:"))
    throw new CliError(EXIT.unreachable, [
      ...lines,
      `and the store is ${target.url}, so no state was recorded`,
    ]);
  if (target.kind === "sqlite" && !existsSync(target.path))
    throw new CliError(EXIT.unreachable, [
      ...lines,
      `and there is no recorded state: ${target.path} does not exist`,
    ]);
  const store = createStore(remote.storeUrl);
  try {
    await store.open();
  } catch (error) {
    await store.close().catch(() => {});
    throw new CliError(EXIT.unreachable, [
      ...lines,
      `and the store ${target.url} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  return store;
}

/** The first line of a read-only command that fell back to the store. */
export function fallbackNotice(remote: Remote): string {
  return `no manager at ${remote.url}; showing the last recorded state from ${redactedStore(remote)}`;
}

function redactedStore(remote: Remote): string {
  try {
    return parseStoreUrl(remote.storeUrl).url;
  } catch {
    return remote.storeUrl;
  }
}

/**
 * URLs of managers recorded in the store with a fresh heartbeat, newest first. Node records carry
 * a `url` only once the manager stores it; until then this finds none. Never throws.
 */
async function recordedUrls(storeUrl: string): Promise<string[]> {
  let target: ReturnType<typeof parseStoreUrl>;
  try {
    target = parseStoreUrl(storeUrl);
  } catch {
    return [];
  }
  if (target.kind === "memory") return [];
  if (target.kind === "sqlite" && (target.path === ":memory:" || !existsSync(target.path)))
    return [];
  const store = createStore(storeUrl);
  try {
    await store.open();
    const now = Date.now();
    return (await store.listNodes())
      .filter((n) => now - (n.lastHeartbeatAt ?? n.startedAt) < NODE_STALE_AFTER)
      .sort((a, b) => b.startedAt - a.startedAt)
      .map((n) => nodeUrl(n))
      .filter((u): u is string => typeof u === "string" && u !== "");
  } catch {
    return [];
  } finally {
    await store.close().catch(() => {});
  }
}

/** The manager's HTTP address in a node record, once the manager records it. */
export function nodeUrl(node: NodeRecord): string | null {
  const url = (node as NodeRecord & { url?: unknown }).url;
  return typeof url === "string" ? url : null;
}
