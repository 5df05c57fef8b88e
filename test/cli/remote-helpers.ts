import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach } from "vitest";
import {
  createManager,
  type DaemonContext,
  type DaemonSpec,
  defineConfig,
  defineDaemon,
  type Manager,
  type RingmasterConfigInput,
} from "../../src/index.js";
import { tempDir } from "./helpers.js";

const managers: Manager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 2_000 })));
});

/** A periodic daemon that logs `tick` each cycle and reports itself healthy. */
export const ticker = (name: string, extra: Record<string, unknown> = {}) =>
  defineDaemon({
    name,
    interval: 100,
    cycle(ctx: DaemonContext) {
      ctx.log.info("tick", { n: 1 });
    },
    health: () => ({ healthy: true, message: "fine" }),
    ...extra,
  } as never);

/**
 * A daemon whose setup always fails: started by hand ({@link startBroken}), it sits in backoff for
 * 30 s. Not auto-started, since the manager's start waits for its daemons to settle.
 */
export const broken = (name: string) =>
  defineDaemon({
    name,
    autoStart: false,
    critical: false,
    setup() {
      throw new Error("cannot reach the cluster API");
    },
    restart: { maxRestarts: 5, initialDelay: "30s", jitter: 0 },
  } as never);

/** Starts a {@link broken} daemon and resolves once it is in backoff. */
export async function startBroken(manager: Manager, name: string): Promise<void> {
  void manager.startDaemon(name).catch(() => {});
  await until(() => manager.status(name).state === "backoff", `${name} in backoff`);
}

/**
 * A started manager with HTTP on 127.0.0.1 and a free port, its store a fresh SQLite file (or
 * `store`); shut down after the test.
 */
export async function served(
  daemons: DaemonSpec[],
  extra: Partial<RingmasterConfigInput> = {},
  env: Record<string, string> = {},
): Promise<{ manager: Manager; url: string; store: string }> {
  const config = defineConfig({
    daemons,
    store: `sqlite:${join(tempDir(), "state.db")}`,
    http: { host: "127.0.0.1", port: 0 },
    ...extra,
  });
  const { store } = config;
  const manager = createManager(config, { logger: false, env });
  managers.push(manager);
  await manager.start();
  return { manager, url: manager.url as string, store };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` until it returns a truthy value. */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
