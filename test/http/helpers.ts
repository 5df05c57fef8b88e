import {
  createManager,
  type DaemonSpec,
  defineConfig,
  defineDaemon,
  type Manager,
  type RingmasterConfigInput,
} from "ringmaster";
import { afterEach } from "vitest";

const managers: Manager[] = [];

// Every manager a test starts is shut down after it, so no server outlives its test.
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown({ timeout: 2_000 })));
});

/** A manager on the real clock with its HTTP server on 127.0.0.1 and a free port. */
export function createServed(
  daemons: DaemonSpec[],
  extra: Partial<RingmasterConfigInput> = {},
  env: Record<string, string> = {},
): Manager {
  const config = defineConfig({
    daemons,
    store: "memory:",
    http: { host: "127.0.0.1", port: 0 },
    ...extra,
  });
  const manager = createManager(config, { logger: false, env });
  managers.push(manager);
  return manager;
}

/** Creates and starts a served manager; resolves with it and its base URL. */
export async function serve(
  daemons: DaemonSpec[],
  extra: Partial<RingmasterConfigInput> = {},
  env: Record<string, string> = {},
): Promise<{ manager: Manager; url: string }> {
  const manager = createServed(daemons, extra, env);
  await manager.start();
  return { manager, url: manager.url as string };
}

/** A quick periodic daemon. */
export const ticker = (name: string, extra: Record<string, unknown> = {}) =>
  defineDaemon({ name, interval: 50, cycle() {}, ...extra } as never);

/** A promise with its resolve function, for holding a hook open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls `check` until it returns a truthy value (real time). */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A parsed JSON answer; `body` is loosely typed so tests can reach into it. */
export interface JsonAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the shape
  body: any;
  headers: Headers;
}

export async function getJson(url: string, init?: RequestInit): Promise<JsonAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, headers: response.headers };
}
