import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 between a client and a server that a test can cut (every open
 * connection is destroyed, new ones are dropped on arrival: a hard close), hang (connections stay
 * open but nothing gets through either way, new ones are accepted and left waiting: a silent
 * partition) and restore (what a hang held back then flows). It is how the tests lose their
 * database for real, without mocking the driver and without stopping the server.
 */
export interface TcpProxy {
  readonly port: number;
  cut(): void;
  hang(): void;
  restore(): void;
  close(): Promise<void>;
  /** Connections accepted and piped so far. */
  readonly connections: number;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: "open" | "cut" | "hung" = "open";
  let connections = 0;

  const destroy = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };

  /** Connects a pair upstream and pipes it both ways (an arrival during a hang waits for this). */
  const link = (pair: Pair) => {
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => destroy(pair));
    upstream.on("close", () => destroy(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };

  const server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    connections++;
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on("error", () => destroy(pair));
    client.on("close", () => destroy(pair));
    if (mode === "hung") client.pause();
    else link(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");

  return {
    port: address.port,
    get connections() {
      return connections;
    },
    cut() {
      mode = "cut";
      for (const pair of [...pairs]) destroy(pair);
    },
    hang() {
      mode = "hung";
      for (const { client, upstream } of pairs) {
        if (upstream) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          upstream.pause();
        }
        client.pause();
      }
    },
    restore() {
      const wasHung = mode === "hung";
      mode = "open";
      if (!wasHung) return;
      for (const pair of pairs) {
        if (!pair.upstream) link(pair);
        else {
          pair.client.pipe(pair.upstream);
          pair.upstream.pipe(pair.client);
        }
      }
    },
    async close() {
      mode = "cut";
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
