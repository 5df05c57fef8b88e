import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Command } from "commander";
import { upperSnake } from "../config/env.js";
import { findConfigFile } from "../config/load.js";
import {
  ApiError,
  createClient,
  ManagerUnreachableError,
  type RingmasterClient,
} from "../http/client.js";
import { MANAGER_DEFAULTS } from "../registry/defaults.js";
import { SECOND } from "../registry/duration.js";
import type { RingmasterConfig } from "../registry/types.js";
import type { NodeRecord, Store } from "../store/types.js";
import { parseStoreUrl } from "../store/url.js";
import { type CliSettings, cliSettings, loadCliConfig } from "./config.js";
import { CliError, type CliIO, EXIT } from "./io.js";
import { loadConfigForSettings } from "./quick-config.js";
import { recordedUrls } from "./recorded-urls.js";

/** The flags every command that talks to a manager takes. */
export interface RemoteFlags {
  url?: string;
  token?: string;
  config?: string;
}

/** How long a probe of a possible manager waits before calling it unreachable. */
export const PROBE_TIMEOUT = 3 * SECOND;

/** Adds `--url`, `--token` and `--config` to a command that talks to a manager. */
export function remoteOptions(command: Command): Command {
  return command
    .option(
      "--url <url>",
      "the manager's HTTP address (default: $RINGMASTER_URL, the store's node record, then the config's or 127.0.0.1:8790)",
    )
    .option("--token <token>", "API token for changes (default: $RINGMASTER_API_TOKEN)")
    .option("-c, --config <file>", "config module (default: ./ringmaster.config.ts)");
}

/**
 * Where a command finds the manager and, when none answers, its recorded state. The config module
 * is loaded only when nothing else can answer (loading a `.ts` config costs most of a second):
 *
 * 1. `--url`, else `RINGMASTER_URL` (`${PREFIX}_URL` once the config is loaded): only that address;
 * 2. the URL in a live node record of the store (`RINGMASTER_STORE`, else the default
 *    `.ringmaster/state.db` under the working directory);
 * 3. with no config file, the default address `127.0.0.1:8790`; with one, the config's `http` host
 *    and port (after `${PREFIX}_DAEMON_HEALTH_PORT` / `_DAEMON_HOST`; the default address when it
 *    leaves `http` out) and the node records of its store, so another project's manager on the
 *    default port is never mistaken for this one's.
 *
 * With `--config FILE` the config is the authority: it is loaded first and steps 2–3 are skipped.
 * The token is `--token`, else `${PREFIX}_API_TOKEN` (`RINGMASTER_API_TOKEN`); a change refused
 * with 401 while no token was given loads the config for its prefix's token and is tried once more.
 */
export interface Remote {
  /** The address that counts for messages: the config's once loaded, else the first tried. */
  readonly url: string;
  /** Where that address came from, e.g. `--url`, `RINGMASTER_URL`, `the config`. */
  readonly urlSource: string;
  readonly explicit: boolean;
  readonly token: string | undefined;
  /** The store to read recorded state from: the config's once loaded, else the environment's or the default. */
  readonly storeUrl: string;
  /** The config, once something needed it (always after a failed `tryConnect` when a file exists). */
  readonly config: RingmasterConfig | undefined;
  /** The config file as given or found, for "how to start one" hints (found, not loaded). */
  readonly configFile: string | undefined;
  /** A client of a manager that answered `/health`; throws {@link CliError} exit 3 when none does. */
  connect(): Promise<RingmasterClient>;
  /** Like `connect`, but resolves undefined instead of throwing when no manager answers. */
  tryConnect(): Promise<RingmasterClient | undefined>;
  /** Loads the config if there is a file and it is not loaded yet. */
  loadConfig(): Promise<RingmasterConfig | undefined>;
  /** The reason the last `connect` failed, for messages. */
  readonly unreachableReason: string | undefined;
}

const hostForUrl = (host: string) => {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `[${h}]` : h;
};

const DEFAULT_URL = `http://${MANAGER_DEFAULTS.http.host}:${MANAGER_DEFAULTS.http.port}`;

const normalUrl = (raw: string) => {
  const url = /^https?:\/\//i.test(raw) ? raw : `http://${raw}`;
  return url.replace(/\/+$/, "");
};

/** The first of `${PREFIX}_<suffix>` and `RINGMASTER_<suffix>` set (not blank): [name, value]. */
function firstEnv(
  env: CliIO["env"],
  envPrefix: string | undefined,
  suffix: string,
): [string, string] | undefined {
  const prefix = upperSnake(envPrefix ?? "RINGMASTER") || "RINGMASTER";
  for (const name of new Set([`${prefix}_${suffix}`, `RINGMASTER_${suffix}`])) {
    const v = env[name]?.trim();
    if (v !== undefined && v !== "") return [name, v];
  }
  return undefined;
}

/** A relative SQLite path made absolute against `cwd` (other URLs as they are). */
function absoluteStore(cwd: string, raw: string): string {
  try {
    const target = parseStoreUrl(raw);
    if (target.kind === "sqlite" && target.path !== ":memory:" && !isAbsolute(target.path))
      return `sqlite:${resolve(cwd, target.path)}`;
  } catch {}
  return raw;
}

/**
 * A client of `base` without a token that, when a call is refused with 401, asks `tokenLater`
 * once (it loads the config for its token) and, given one, makes the call again with it.
 */
function retryOn401(base: string, tokenLater: () => Promise<string | undefined>): RingmasterClient {
  let client = createClient(base, {});
  type Method = (...args: unknown[]) => unknown;
  const call = (key: PropertyKey, args: unknown[]) => (Reflect.get(client, key) as Method)(...args);
  return new Proxy({} as RingmasterClient, {
    get(_target, key) {
      const value: unknown = Reflect.get(client, key);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = call(key, args);
        if (!(result instanceof Promise)) return result;
        return result.catch(async (error: unknown) => {
          if (!(error instanceof ApiError) || error.status !== 401) throw error;
          const token = await tokenLater();
          if (token === undefined) throw error;
          client = createClient(base, { token });
          return call(key, args);
        });
      };
    },
  });
}

export async function resolveRemote(flags: RemoteFlags, io: CliIO): Promise<Remote> {
  const cwd = io.cwd ?? process.cwd();
  const file =
    flags.config !== undefined
      ? isAbsolute(flags.config)
        ? flags.config
        : resolve(cwd, flags.config)
      : findConfigFile(cwd);
  const configFile = file === undefined ? undefined : relative(cwd, file) || file;
  let config: RingmasterConfig | undefined;
  let settings: CliSettings | undefined;
  let configLoaded = false;

  const envFirst = (suffix: string) => firstEnv(io.env, config?.envPrefix, suffix);

  let url = DEFAULT_URL;
  let urlSource = "the default";
  let explicit = false;
  const explicitUrl = (): boolean => {
    const fromEnv = envFirst("URL");
    if (flags.url !== undefined) [url, urlSource] = [normalUrl(flags.url), "--url"];
    else if (fromEnv) [urlSource, url] = [fromEnv[0], normalUrl(fromEnv[1])];
    else return false;
    explicit = true;
    return true;
  };
  const storeUrl = () =>
    absoluteStore(
      cwd,
      settings?.store ?? envFirst("STORE")?.[1] ?? config?.store ?? MANAGER_DEFAULTS.store,
    );

  const loadConfig = async (): Promise<RingmasterConfig | undefined> => {
    if (configLoaded || file === undefined) return config;
    configLoaded = true;
    config = (await loadCliConfig(file, io, loadConfigForSettings)).config;
    settings = await cliSettings(config, io.env);
    if (!explicit && !explicitUrl()) {
      if (settings.http === false) {
        urlSource = "the default (the config has http: false, so its manager serves no HTTP)";
      } else {
        const { host, port } = settings.http;
        url = `http://${hostForUrl(host)}:${port === 0 ? MANAGER_DEFAULTS.http.port : port}`;
        urlSource = "the config";
      }
    }
    return config;
  };

  explicitUrl();
  if (flags.config !== undefined) await loadConfig();

  let token = flags.token ?? envFirst("API_TOKEN")?.[1] ?? settings?.apiToken;
  const tokenGiven = token !== undefined;
  let unreachableReason: string | undefined;
  const answers = async (candidate: string): Promise<RingmasterClient | undefined> => {
    const probe = createClient(candidate, { timeout: PROBE_TIMEOUT });
    try {
      await probe.health();
      return retryingWithConfigToken(candidate);
    } catch (error) {
      if (!(error instanceof ManagerUnreachableError)) throw error;
      unreachableReason ??= error.message.replace(/^.*?: /, "");
      return undefined;
    }
  };
  /** A client that, refused with 401 while no token was given, loads the config's token once. */
  const retryingWithConfigToken = (base: string): RingmasterClient =>
    tokenGiven
      ? createClient(base, token === undefined ? {} : { token })
      : retryOn401(base, async () => {
          if (configLoaded) return undefined;
          await loadConfig();
          token = settings?.apiToken;
          return token;
        });
  const firstAnswer = async (candidates: Iterable<string>, tried: Set<string>) => {
    for (const candidate of candidates) {
      if (tried.has(candidate)) continue;
      tried.add(candidate);
      const found = await answers(candidate);
      if (found) return found;
    }
    return undefined;
  };

  const remote: Remote = {
    get url() {
      return url;
    },
    get urlSource() {
      return urlSource;
    },
    get explicit() {
      return explicit;
    },
    get token() {
      return token;
    },
    get storeUrl() {
      return storeUrl();
    },
    get config() {
      return config;
    },
    configFile,
    get unreachableReason() {
      return unreachableReason;
    },
    loadConfig,
    async tryConnect() {
      unreachableReason = undefined;
      const tried = new Set<string>();
      if (explicit) return firstAnswer([url], tried);
      if (!configLoaded) {
        // The default address is only a guess: with a config file at hand, the config decides.
        const guesses = file === undefined ? [url] : [];
        const found = await firstAnswer([...(await recordedUrls(storeUrl())), ...guesses], tried);
        if (found || file === undefined) return found;
        await loadConfig();
        if (explicit) return firstAnswer([url], new Set());
      }
      const candidates = settings?.http === false ? [] : [url];
      return firstAnswer([...candidates, ...(await recordedUrls(storeUrl()))], tried);
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
  const { createStore } = await import("../store/open.js");
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

/** The manager's HTTP address in a node record, once the manager records it. */
export function nodeUrl(node: NodeRecord): string | null {
  const url = (node as NodeRecord & { url?: unknown }).url;
  return typeof url === "string" ? url : null;
}
