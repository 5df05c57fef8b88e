import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 that a test can fail in the two ways a network fails: `hang()` keeps
 * every connection open but stops moving bytes (a silent partition: the client waits), `cut()`
 * destroys every connection and refuses new ones (a hard close). `restore()` heals both.
 */
export interface CuttingProxy {
  readonly port: number;
  hang(): void;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: {
  host: string;
  port: number;
}): Promise<CuttingProxy> {
  const open = new Set<Socket>();
  let mode: "open" | "hung" | "cut" = "open";

  const server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    // Bytes are forwarded by hand so a hang can drop them without closing anything.
    const forward = (from: Socket, to: Socket) =>
      from.on("data", (chunk) => {
        if (mode === "open") to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    for (const socket of [client, upstream]) {
      socket.on("error", done);
      socket.on("close", done);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");

  const destroyAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    port: address.port,
    hang() {
      mode = "hung";
    },
    cut() {
      mode = "cut";
      destroyAll();
    },
    restore() {
      mode = "open";
    },
    async close() {
      mode = "cut";
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
