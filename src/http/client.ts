import type { DeadLetter } from "../events/types.js";
import type { EventEnvelope, HealthReport, LogLevel } from "../registry/types.js";
import type { DaemonStatus, ProbeReport, StateChange } from "../supervisor/types.js";
import type { HttpLogLine as LogEntry } from "./port.js";
import type { DaemonAction } from "./routes/daemons.js";
import type { JobFilter, JobView } from "./seams.js";
import type { StreamEventType } from "./stream.js";
import { type Reply, send as sendRequest } from "./transport.js";

/** No manager answered at the URL (refused, unreachable, timed out): the CLI exits 3. */
export class ManagerUnreachableError extends Error {
  override name = "ManagerUnreachableError";
  constructor(
    readonly url: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`no ringmaster manager reachable at ${url}: ${reason}`, options);
  }
}

/** The manager answered with an error status; `message` is its explanation. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** API token for mutations (sent on every request when set). */
  token?: string | undefined;
  /** Per-request timeout in ms (not for the stream). Default 30 s: starts wait for readiness. */
  timeout?: number;
}

/** `GET /api/daemons/:name`: the status plus options, config with sources, recent transitions. */
export interface DaemonDetail extends DaemonStatus {
  options: Record<string, unknown>;
  config: {
    values: Record<string, unknown>;
    sources: Record<string, { kind: string; detail?: string }>;
    pending: Record<string, unknown>;
  };
  transitions: StateChange[];
}

export interface ConfigPatchResult {
  name: string;
  applied: boolean;
  appliesAt: string;
  pending: Record<string, unknown>;
  current: Record<string, unknown>;
}

export interface GraphView {
  nodes: Array<{
    name: string;
    category: string;
    state: string;
    health: string;
    critical: boolean;
    enabled: boolean;
    level: number | null;
    dependsOn: string[];
  }>;
  edges: Array<{ from: string; to: string; kind: "dependsOn" }>;
  eventEdges: Array<{ from: string; to: string; type: string }>;
  levels: string[][];
  cycles: string[][];
}

export interface NodeView {
  id: string;
  host: string;
  pid: number;
  profile: string | null;
  self: boolean;
  url: string | null;
  started: boolean;
  shuttingDown: boolean;
  live: boolean;
  ready: boolean;
  /** From the cluster view (DESIGN.md §8): `live`, `lost` or `stopped`. */
  state?: "live" | "lost" | "stopped";
  lastHeartbeatAt?: number | null;
  runs?: Array<{ name: string; state: string }>;
  holds?: Array<{ name: string; token: number; expiresAt: number }>;
}

/** One entry of `/api/stream`. `data` is the JSON payload (a StateChange for `state`, …). */
export interface StreamMessage {
  id: number | undefined;
  type: StreamEventType | "gap" | "message";
  data: unknown;
}

export interface StreamOptions {
  types?: readonly StreamEventType[];
  daemon?: string;
  /** Resume after this id. */
  lastEventId?: number;
  /** Ends the stream. */
  signal?: AbortSignal;
  /** Reconnect (resuming by id) when the server ends the stream; default false. */
  reconnect?: boolean;
}

export type RingmasterClient = ReturnType<typeof createClient>;

/**
 * A typed client of a running manager's HTTP API (DESIGN.md §9), for the CLI and scripts.
 * Network failures throw {@link ManagerUnreachableError}; error answers throw {@link ApiError}
 * with the server's message (probes are not errors: they resolve with `ok: false`).
 */
export function createClient(url: string, options: ClientOptions = {}) {
  const base = url.replace(/\/+$/, "");
  const timeout = options.timeout ?? 30_000;
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    accept: "application/json",
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...extra,
  });

  async function send(
    method: string,
    path: string,
    init: { body?: unknown; accept?: string; signal?: AbortSignal; okStatuses?: number[] } = {},
  ): Promise<Reply> {
    const signal = init.signal ?? AbortSignal.timeout(timeout);
    // Changes always go as JSON (`{}` when there is nothing to say): the server refuses others.
    const body = init.body ?? (method === "GET" ? undefined : {});
    let response: Reply;
    try {
      response = await sendRequest(`${base}${path}`, {
        method,
        headers: headers({
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(init.accept ? { accept: init.accept } : {}),
        }),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal,
      });
    } catch (error) {
      throw unreachable(error);
    }
    if (!response.ok && !init.okStatuses?.includes(response.status)) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = (await response.json()) as { message?: unknown };
        if (typeof body.message === "string" && body.message !== "") message = body.message;
      } catch {}
      throw new ApiError(response.status, message, method, path);
    }
    return response;
  }

  function unreachable(error: unknown): ManagerUnreachableError {
    const e = error as {
      name?: string;
      message?: string;
      cause?: { code?: string; message?: string };
    };
    if (e?.name === "TimeoutError")
      return new ManagerUnreachableError(base, `no answer within ${timeout} ms`, { cause: error });
    if (e?.name === "AbortError")
      return new ManagerUnreachableError(base, "aborted", { cause: error });
    const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
    return new ManagerUnreachableError(base, reason, { cause: error });
  }

  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await send(method, path, body === undefined ? {} : { body })).json()) as T;
  const text = async (path: string): Promise<string> =>
    (await send("GET", path, { accept: "text/plain" })).text();
  const probe = async (path: string): Promise<ProbeReport> =>
    (await (await send("GET", path, { okStatuses: [503] })).json()) as ProbeReport;
  const enc = encodeURIComponent;
  const query = (params: Record<string, string | number | undefined>): string => {
    const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== "");
    return entries.length === 0
      ? ""
      : `?${entries.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join("&")}`;
  };
  const action = (name: string, verb: DaemonAction) =>
    json<DaemonStatus>("POST", `/api/daemons/${enc(name)}/${verb}`);

  return {
    url: base,
    /** Liveness: resolves `{ ok: false, reasons }` on 503. */
    health: () => probe("/health"),
    /** Readiness: resolves `{ ok: false, reasons }` on 503. */
    ready: () => probe("/ready"),
    metrics: () => text("/metrics"),
    daemons: (filter: { category?: string; state?: string } = {}) =>
      json<DaemonStatus[]>("GET", `/api/daemons${query(filter)}`),
    daemon: (name: string) => json<DaemonDetail>("GET", `/api/daemons/${enc(name)}`),
    /** Runs the daemon's health check now. */
    checkHealth: (name: string) => json<HealthReport>("POST", `/api/daemons/${enc(name)}/health`),
    /** The last health check, without running one. */
    lastHealth: (name: string) => json<HealthReport>("GET", `/api/daemons/${enc(name)}/health`),
    logs: (name: string, q: { level?: LogLevel; since?: string | number; limit?: number } = {}) =>
      json<LogEntry[]>("GET", `/api/daemons/${enc(name)}/logs${query(q)}`),
    start: (name: string) => action(name, "start"),
    stop: (name: string) => action(name, "stop"),
    restart: (name: string) => action(name, "restart"),
    pause: (name: string) => action(name, "pause"),
    resume: (name: string) => action(name, "resume"),
    patchConfig: (name: string, patch: Record<string, unknown>) =>
      json<ConfigPatchResult>("PATCH", `/api/daemons/${enc(name)}/config`, patch),
    jobs: (filter: JobFilter = {}) => json<JobView[]>("GET", `/api/jobs${query({ ...filter })}`),
    job: (id: string) => json<JobView>("GET", `/api/jobs/${enc(id)}`),
    cancelJob: (id: string, reason?: string) =>
      json<JobView>("POST", `/api/jobs/${enc(id)}/cancel`, reason === undefined ? {} : { reason }),
    events: (q: { limit?: number; type?: string; source?: string } = {}) =>
      json<EventEnvelope<string>[]>("GET", `/api/events${query(q)}`),
    deadLetters: (q: { limit?: number; subscriber?: string } = {}) =>
      json<DeadLetter[]>("GET", `/api/dead-letters${query(q)}`),
    retryDeadLetter: (id: string) =>
      json<{ id: string; retried: boolean }>("POST", `/api/dead-letters/${enc(id)}/retry`),
    graph: () => json<GraphView>("GET", "/api/graph"),
    /** The graph drawn as text, mermaid or dot, labelled with states. */
    drawGraph: (format: "text" | "mermaid" | "dot", categories = false) =>
      text(`/api/graph${query({ format, categories: categories ? "true" : undefined })}`),
    nodes: () => json<NodeView[]>("GET", "/api/nodes"),
    /** Seed form lines: `auto_sync: RUNNING (healthy)`. */
    statusText: () => text("/daemon/status?format=text"),
    /** Asks the manager to shut down gracefully; resolves once it has begun. */
    shutdown: () => json<{ shuttingDown: boolean }>("POST", "/api/shutdown"),
    /** The live stream as an async iterable; ends when `signal` aborts or the server closes it. */
    stream: (opts: StreamOptions = {}) => streamMessages(base, opts, send, unreachable),
  };
}

type Send = (
  method: string,
  path: string,
  init: { accept?: string; signal?: AbortSignal },
) => Promise<Reply>;

async function* streamMessages(
  base: string,
  opts: StreamOptions,
  send: Send,
  unreachable: (error: unknown) => ManagerUnreachableError,
): AsyncGenerator<StreamMessage> {
  let lastId = opts.lastEventId;
  const params = new URLSearchParams();
  if (opts.types?.length) params.set("types", opts.types.join(","));
  if (opts.daemon) params.set("daemon", opts.daemon);
  for (;;) {
    const q = new URLSearchParams(params);
    if (lastId !== undefined) q.set("lastEventId", String(lastId));
    const qs = q.toString();
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let response: Reply;
      try {
        response = await send("GET", `/api/stream${qs ? `?${qs}` : ""}`, {
          accept: "text/event-stream",
          signal: controller.signal,
        });
      } catch (error) {
        if (opts.signal?.aborted) return;
        throw error;
      }
      if (!response.body) throw new ManagerUnreachableError(base, "the stream had no body");
      try {
        for await (const message of parseEventStream(response.body)) {
          if (message.id !== undefined) lastId = message.id;
          yield message;
        }
      } catch (error) {
        if (opts.signal?.aborted) return;
        if (!opts.reconnect) throw unreachable(error);
      }
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      controller.abort();
    }
    if (opts.signal?.aborted || !opts.reconnect) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Parses a `text/event-stream` body into messages (comments and `retry:` lines skipped). */
export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<StreamMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parseBlock(block);
        if (message) yield message;
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): StreamMessage | undefined {
  let id: number | undefined;
  let type = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id" && /^\d+$/.test(value)) id = Number(value);
    else if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  let parsed: unknown = data.join("\n");
  try {
    parsed = JSON.parse(parsed as string);
  } catch {}
  return { id, type: type as StreamMessage["type"], data: parsed };
}
