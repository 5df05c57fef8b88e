/**
 * `adaptService`: an existing service object with start/stop (and maybe health) methods as a
 * daemon spec, the seeds' `DaemonAdapter`; or, given a factory or a class, a fresh instance for
 * every start, as the seeds' `create_daemon_adapter(daemon_class, config)` builds one.
 */
import { defineDaemon } from "./define.js";
import { DoNotRestart } from "./errors.js";
import type { DaemonContext, DaemonOptions, DaemonSpec, HealthResult } from "./types.js";

/** An object with start/stop methods, as the seeds' `DaemonAdapter` wraps. */
export interface ServiceLike {
  [key: string]: unknown;
}

/** Which method plays a role: its name, or a function given the service and the context. */
type MethodRef<T, R> = keyof T | ((service: T, ctx: DaemonContext) => R);

export type AdaptServiceOptions<T> = Omit<
  DaemonOptions,
  "setup" | "cleanup" | "health" | "cycle" | "run"
> & {
  start?: MethodRef<T, unknown>;
  stop?: MethodRef<T, unknown>;
  health?: MethodRef<T, HealthResult | Promise<HealthResult>>;
};

const START = ["start"];
const STOP = ["stop"];
const HEALTH = ["health", "healthCheck", "health_check"];
/** The health of an instance without a health method: what the manager derives for it. */
const NO_HEALTH_METHOD: HealthResult = { status: "healthy", message: "ok" };

const isClass = (fn: unknown): fn is new () => object =>
  typeof fn === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fn));

/** The method of `target` for a role (a function ref is bound to the instance), if any. */
function lookUp<T extends object>(
  target: T,
  ref: unknown,
  fallbacks: string[],
): ((instance: T, ctx: DaemonContext) => unknown) | undefined {
  if (typeof ref === "function") return (instance, ctx) => ref(instance, ctx);
  const names = ref === undefined ? fallbacks : [String(ref)];
  for (const name of names) {
    if (typeof (target as Record<string, unknown>)[name] === "function")
      return (instance, ctx) =>
        (instance as Record<string, (c: DaemonContext) => unknown>)[name]?.(ctx);
  }
  return undefined;
}

const describeNames = (ref: unknown, fallbacks: string[]) =>
  (ref === undefined || typeof ref === "function" ? fallbacks : [String(ref)])
    .map((n) => `${n}()`)
    .join(", ");

/**
 * Wraps a service as a daemon spec: `start` runs as setup (the daemon is ready when it resolves),
 * `stop` as cleanup, `health` as the health hook. Method names default to `start`, `stop` and
 * `health`/`healthCheck`/`health_check`; each may instead be a function `(service, ctx) => …`.
 *
 * `service` is one of:
 * - an object: the same instance serves every start (it keeps whatever state it holds across
 *   restarts); its methods are checked now, and a missing start or stop throws a TypeError;
 * - a class (constructed with no arguments) or a factory `() => new AutoSync(config)`: every start
 *   builds a fresh instance, used by that run's health and cleanup, so a restart never sees the
 *   state of a failed run. A class's methods are checked now; a factory's instance when it is
 *   built (a missing method fails that start with `DoNotRestart`). An instance without a health
 *   method reports healthy.
 */
export function adaptService<T extends object>(
  service: T | (() => T) | (new () => T),
  options: AdaptServiceOptions<T>,
): DaemonSpec {
  const { start, stop, health, ...rest } = options;
  const missing = (role: string, ref: unknown, fallbacks: string[]) =>
    `adaptService("${options.name}"): the service has no ${role} method (looked for ${describeNames(ref, fallbacks)})`;

  if (typeof service !== "function") {
    const setup = lookUp(service, start, START);
    const cleanup = lookUp(service, stop, STOP);
    if (!setup) throw new TypeError(missing("start", start, START));
    if (!cleanup) throw new TypeError(missing("stop", stop, STOP));
    const check = lookUp(service, health, HEALTH);
    if (!check && health !== undefined) throw new TypeError(missing("health", health, HEALTH));
    return defineDaemon({
      ...rest,
      async setup(ctx) {
        await setup(service, ctx);
      },
      async cleanup(ctx) {
        await cleanup(service, ctx);
      },
      ...(check ? { health: (ctx) => check(service, ctx) as HealthResult } : {}),
    });
  }

  const build: () => T = isClass(service)
    ? () => new (service as new () => T)()
    : (service as () => T);
  if (isClass(service)) {
    const proto = service.prototype as T;
    if (!lookUp(proto, start, START)) throw new TypeError(missing("start", start, START));
    if (!lookUp(proto, stop, STOP)) throw new TypeError(missing("stop", stop, STOP));
  }
  /** The instance of each run, by the run's context. */
  const instances = new WeakMap<object, T>();
  return defineDaemon({
    ...rest,
    async setup(ctx) {
      const instance = build();
      const run = lookUp(instance, start, START);
      if (!run) throw new DoNotRestart(missing("start", start, START));
      if (!lookUp(instance, stop, STOP)) throw new DoNotRestart(missing("stop", stop, STOP));
      instances.set(ctx, instance);
      await run(instance, ctx);
    },
    async cleanup(ctx) {
      const instance = instances.get(ctx);
      if (!instance) return; // the factory threw: nothing was built, nothing to stop
      instances.delete(ctx);
      await lookUp(instance, stop, STOP)?.(instance, ctx);
    },
    health(ctx) {
      const instance = instances.get(ctx);
      const check = instance ? lookUp(instance, health, HEALTH) : undefined;
      if (!check) return NO_HEALTH_METHOD;
      return check(instance as T, ctx) as HealthResult;
    },
  });
}
