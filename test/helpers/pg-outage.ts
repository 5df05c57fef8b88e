/**
 * What the store-outage tests share: `until` (./until.ts), and a fresh PostgreSQL schema reached through a {@link TcpProxy} the test can cut or hang, removed (and
 * the proxy closed) after each test.
 */
import { afterEach } from "vitest";
import { PG_HOST, PG_PORT, randomSchema, testDatabase } from "../store/helpers/databases.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

export { until } from "./until.js";

export interface ProxiedDatabase {
  proxy: TcpProxy;
  schema: string;
  /** The store URL through the proxy. */
  url: string;
}

/**
 * Call in a `describe`: `open()` starts a proxy to the test PostgreSQL and picks a fresh schema;
 * after each test the proxy is restored and closed and the schema dropped.
 */
export function proxiedPostgres(): { open(): Promise<ProxiedDatabase> } {
  let current: ProxiedDatabase | undefined;
  afterEach(async () => {
    const db = current;
    current = undefined;
    if (!db) return;
    db.proxy.restore();
    await db.proxy.close();
    await testDatabase("postgres")
      .exec(`drop schema if exists "${db.schema}" cascade`)
      .catch(() => {});
  });
  return {
    async open() {
      const proxy = await startTcpProxy({ host: PG_HOST, port: PG_PORT });
      const schema = randomSchema();
      current = {
        proxy,
        schema,
        url: `postgres://postgres@127.0.0.1:${proxy.port}/test?schema=${schema}`,
      };
      return current;
    },
  };
}
