/**
 * What a test harness records from the daemons it runs: the jobs they launch, seen through a
 * `ctx` whose `jobs` records each launch before handing it on. Specs are rewrapped, not changed.
 */
import type { DaemonContext, DaemonJobs, DaemonSpec, LaunchOptions } from "../index.js";

/** One `ctx.jobs.launch` (or one payload of `launchMany`) by a daemon under test. */
export interface LaunchedJob {
  daemon: string;
  type: string;
  payload: unknown;
  options: LaunchOptions;
  /** The job's id, once the launch resolved. */
  id: string | undefined;
  /** Why the launch was refused (an unknown type, a payload the schema rejects). */
  error: string | undefined;
  /** Manual-clock time of the launch. */
  at: number;
}

type Hook = "setup" | "cycle" | "run" | "health" | "cleanup";
const HOOKS: readonly Hook[] = ["setup", "cycle", "run", "health", "cleanup"];

/** Whether the daemon runs in this process (worker, process and command daemons do not). */
function runsInline(spec: DaemonSpec): boolean {
  const { isolation, command } = spec as { isolation?: unknown; command?: unknown };
  return (isolation === undefined || isolation === "inline") && command === undefined;
}

/**
 * `specs` with each hook handed a `ctx` whose `jobs.launch` (and `launchMany`) push to `launched`.
 * The same underlying ctx always gets the same wrapper, so per-run state keyed by ctx survives.
 */
export function recordLaunches(
  specs: ReadonlyArray<DaemonSpec>,
  launched: LaunchedJob[],
  now: () => number,
): DaemonSpec[] {
  const wrappers = new WeakMap<object, DaemonContext>();
  const wrap = (ctx: DaemonContext): DaemonContext => {
    let wrapped = wrappers.get(ctx);
    if (wrapped) return wrapped;
    let jobs: DaemonJobs | undefined;
    wrapped = new Proxy(ctx, {
      get(target, property) {
        if (property === "jobs") {
          jobs ??= recordingJobs(target.name, target.jobs, launched, now);
          return jobs;
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    wrappers.set(ctx, wrapped);
    return wrapped;
  };
  return specs.map((spec) => {
    if (!runsInline(spec)) return spec;
    const hooks: Partial<Record<Hook, (ctx: DaemonContext) => unknown>> = {};
    for (const hook of HOOKS) {
      const fn = spec[hook] as ((ctx: DaemonContext) => unknown) | undefined;
      if (fn) hooks[hook] = (ctx) => fn.call(spec, wrap(ctx));
    }
    return Object.freeze({ ...spec, ...hooks }) as DaemonSpec;
  });
}

function recordingJobs(
  daemon: string,
  real: DaemonJobs,
  launched: LaunchedJob[],
  now: () => number,
): DaemonJobs {
  const record = (type: string, payload: unknown, options: LaunchOptions): LaunchedJob => {
    const entry: LaunchedJob = {
      daemon,
      type,
      payload,
      options,
      id: undefined,
      error: undefined,
      at: now(),
    };
    launched.push(entry);
    return entry;
  };
  const refused = (entries: LaunchedJob[], error: unknown) => {
    for (const entry of entries)
      entry.error = error instanceof Error ? error.message : String(error);
    throw error;
  };
  const jobs: DaemonJobs = Object.create(real);
  jobs.launch = (type, payload, options) => {
    const entry = record(type, payload, options);
    return real.launch(type, payload, options).then(
      (id) => {
        entry.id = id;
        return id;
      },
      (error) => refused([entry], error),
    );
  };
  const many = (
    real as { launchMany?: (t: string, p: unknown[], o: LaunchOptions) => Promise<string[]> }
  ).launchMany;
  if (typeof many === "function") {
    (jobs as { launchMany?: unknown }).launchMany = (
      type: string,
      payloads: unknown[],
      options: LaunchOptions,
    ) => {
      const entries = payloads.map((payload) => record(type, payload, options));
      return many.call(real, type, payloads, options).then(
        (ids) => {
          ids.forEach((id, i) => {
            const entry = entries[i];
            if (entry) entry.id = id;
          });
          return ids;
        },
        (error) => refused(entries, error),
      );
    };
  }
  return jobs;
}
