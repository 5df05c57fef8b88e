/**
 * Where a daemon's or a job's code runs (DESIGN.md §2 `isolation`, `module`, `maxMemory`,
 * `killTimeout`; §11): the options both `defineDaemon` and `defineJob` accept, and their
 * normalized form.
 */
import { callerModule } from "../isolation/module-path.js";
import type { Duration } from "./daemon-types.js";
import { ISOLATION_DEFAULTS } from "./defaults.js";
import { parseDuration } from "./duration.js";
import { parseSize } from "./size.js";

export type IsolationKind = "inline" | "worker" | "process";

export interface IsolationOptions {
  /** `"inline"` (default): in the manager's event loop; `"worker"`: a worker thread; `"process"`: a child process. */
  isolation?: IsolationKind;
  /** The module that exports the spec (worker, process). Default: the file that declared it. */
  module?: string;
  /** A worker or process above this (`"512MB"`, or bytes) is ended with reason `memory limit`. */
  maxMemory?: number | string;
  /** A process still alive this long after SIGTERM gets SIGKILL (its whole process group). Default 5 s. */
  killTimeout?: Duration;
}

export interface IsolationSettings {
  readonly isolation: IsolationKind;
  /** Absolute path of the module that exports the spec; undefined for inline specs. */
  readonly module: string | undefined;
  /** bytes, or undefined for no limit */
  readonly maxMemory: number | undefined;
  /** ms */
  readonly killTimeout: number;
}

const KINDS: readonly IsolationKind[] = ["inline", "worker", "process"];

/**
 * Normalizes the isolation options. `declaredIn` is the `import.meta.url` of the declaring
 * function's file: the first file outside it on the stack is the spec's module. Throws a
 * `TypeError` naming the option (`at`) when one cannot be understood.
 */
export function isolationSettings(
  options: IsolationOptions,
  at: (option: string) => string,
  declaredIn: string,
): IsolationSettings {
  const isolation = options.isolation ?? ISOLATION_DEFAULTS.isolation;
  if (!KINDS.includes(isolation)) {
    throw new TypeError(
      `${at("isolation")}: expected "inline", "worker" or "process", found ${JSON.stringify(isolation)}`,
    );
  }
  let module = options.module;
  if (isolation !== "inline" && module === undefined) {
    module = callerModule(declaredIn, import.meta.url);
    if (!module) {
      throw new TypeError(
        `${at("module")}: isolation "${isolation}" needs the module that exports the spec; give module: import.meta.url`,
      );
    }
  }
  return {
    isolation,
    module: isolation === "inline" ? undefined : module,
    maxMemory:
      options.maxMemory === undefined ? undefined : parseSize(options.maxMemory, at("maxMemory")),
    killTimeout:
      options.killTimeout === undefined
        ? ISOLATION_DEFAULTS.killTimeout
        : parseDuration(options.killTimeout, at("killTimeout")),
  };
}
