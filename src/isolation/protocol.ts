/**
 * The messages between a host (the manager) and a guest (a worker thread or child process that
 * runs one daemon or one job attempt). Both sides speak the same three shapes through a
 * {@link Bridge}: a request that expects one response, its cancellation, and a one-way note.
 * Values travel by structured clone (worker `postMessage`, child `serialization: "advanced"`);
 * errors travel as {@link SerializedError} so name, message and stack survive on every channel.
 *
 * Requests from host to guest: `load`, `hook`, `deliver`, `job`.
 * Requests from guest to host: `sleep`, `jobs.launch`, `jobs.monitor`, `jobs.cancel`, `jobs.get`,
 * `jobs.list`.
 * Notes from host to guest: `abort` (the run's signal), `lease`, `exit`.
 * Notes from guest to host: `log`, `heartbeat`, `ready`, `publish`, `subscribe`, `unsubscribe`,
 * `progress`, `sample`, `fatal`.
 */
export type Message =
  | { t: "req"; id: number; op: string; args: unknown }
  | { t: "res"; id: number; ok: true; value: unknown }
  | { t: "res"; id: number; ok: false; error: SerializedError }
  | { t: "cancel"; id: number }
  | { t: "note"; op: string; args: unknown };

/** A two-way message port: a worker's `parentPort`/`Worker`, or a child's IPC channel. */
export interface Channel {
  send(message: Message): void;
  onMessage(listener: (message: Message) => void): void;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
}

/** The `load` request: what the guest needs to find and run its spec. */
export interface LoadArgs {
  /** File URL of the spec module. */
  module: string;
  target: "daemon" | "job";
  /** The daemon's name or the job's type. */
  name: string;
  /** Daemons only: the frozen, resolved config, the node, the stats so far and the lease. */
  config?: unknown;
  node?: unknown;
  stats?: unknown;
  lease?: LeaseSnapshot | undefined;
  /** ms between resource samples the guest sends (`sample` notes). */
  sampleInterval: number;
}

export interface LeaseSnapshot {
  token: number;
  holder: string;
  expiresAt: number;
  held: boolean;
}

/** A `sample` note: the guest's own view of its resources. */
export interface ResourceSample {
  rssBytes: number;
  heapBytes: number;
  /** CPU time used since the previous sample, µs (user + system). */
  cpuMicros: number;
  /** Wall time since the previous sample, µs. */
  wallMicros: number;
}

export function serializeError(thrown: unknown): SerializedError {
  if (thrown instanceof Error) {
    const code = (thrown as { code?: unknown }).code;
    return {
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  let message: string;
  try {
    message = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return { name: "Error", message };
}

/** The error again, on the other side: same name, message, stack (and `code`). */
export function deserializeError(data: SerializedError): Error {
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack) error.stack = data.stack;
  if (data.code) (error as Error & { code?: string }).code = data.code;
  return error;
}
