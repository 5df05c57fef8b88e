import type { IncomingMessage, ServerResponse } from "node:http";

/** Live-stream tuning; durations in ms. */
export const STREAM_DEFAULTS = {
  /** Entries kept for `Last-Event-ID` resume. */
  replayCapacity: 1_000,
  /** A comment line this often keeps proxies and clients from timing out an idle stream. */
  heartbeatInterval: 15_000,
  /** What a client is told to wait before reconnecting. */
  retry: 2_000,
  /** A client that lets this much pile up unread is dropped (it can resume with Last-Event-ID). */
  maxBufferedBytes: 1024 * 1024,
};

/** Kinds of entries on `/api/stream`. */
export type StreamEventType =
  | "state"
  | "health"
  | "log"
  | "restart"
  | "failed"
  | "event"
  | "dead-letter"
  | "job"
  | "manager"
  | "gap";

export interface StreamEntry {
  id: number;
  type: StreamEventType;
  /** The daemon it is about, for filtering (an event's source). */
  daemon: string | undefined;
  data: unknown;
  /** The serialized SSE frame, built once on first send. */
  frame?: string;
}

export interface StreamFilter {
  types?: ReadonlySet<string>;
  daemon?: string;
}

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
}

function frameOf(entry: StreamEntry): string {
  if (entry.frame === undefined) {
    let data: string;
    try {
      data = JSON.stringify(entry.data) ?? "null";
    } catch {
      data = JSON.stringify({ error: "payload could not be serialized" });
    }
    entry.frame = `id: ${entry.id}\nevent: ${entry.type}\ndata: ${data}\n\n`;
  }
  return entry.frame;
}

function wanted(entry: StreamEntry, filter: StreamFilter): boolean {
  if (filter.types && !filter.types.has(entry.type) && entry.type !== "gap") return false;
  if (filter.daemon !== undefined && entry.daemon !== undefined && entry.daemon !== filter.daemon)
    return false;
  return true;
}

/**
 * The server-sent-event hub behind `/api/stream`. Every entry gets the next id; the newest
 * `replayCapacity` are kept so a client that reconnects with `Last-Event-ID` misses nothing (or
 * gets a `gap` entry saying what it missed). Frames are serialized once, lazily, however many
 * clients there are.
 */
export class StreamHub {
  private entries: StreamEntry[] = [];
  private nextId = 1;
  private clients = new Set<Client>();

  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: typeof STREAM_DEFAULTS = STREAM_DEFAULTS) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Records an entry and sends it to every connected client that wants it. */
  push(type: StreamEventType, daemon: string | undefined, data: unknown): void {
    if (this.closed) return;
    const entry: StreamEntry = { id: this.nextId++, type, daemon, data };
    this.entries.push(entry);
    if (this.entries.length > this.options.replayCapacity) this.entries.shift();
    for (const client of this.clients) if (wanted(entry, client.filter)) this.write(client, entry);
  }

  /**
   * Takes over `res` as an event stream: headers, the retry hint, the replay after `lastEventId`,
   * then live entries until the client goes away or the hub closes.
   */
  attach(
    _req: IncomingMessage,
    res: ServerResponse,
    filter: StreamFilter,
    lastEventId: number | undefined,
  ): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(`retry: ${this.options.retry}\n\n`);
    if (this.closed) {
      res.end();
      return;
    }
    const client: Client = { res, filter };
    if (lastEventId !== undefined) this.replay(client, lastEventId);
    this.clients.add(client);
    // The response closes when the client goes away (or we end it); `req` "close" is not that.
    const detach = () => this.detach(client);
    res.on("close", detach);
    res.on("error", detach);
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) c.res.write(": heartbeat\n\n");
    }, this.options.heartbeatInterval).unref();
  }

  /** Ends every stream and stops recording. Idempotent. */
  close(): void {
    this.closed = true;
    for (const client of [...this.clients]) {
      this.clients.delete(client);
      // Once the last chunk is out, drop the connection so it cannot hold the server open.
      client.res.end(() => client.res.socket?.destroy());
    }
    this.stopHeartbeat();
  }

  private replay(client: Client, lastEventId: number): void {
    const newest = this.nextId - 1;
    const oldest = this.entries[0]?.id ?? this.nextId;
    if (lastEventId > newest) {
      this.sendGap(client, {
        reason: `event id ${lastEventId} is not from this server (newest is ${newest}); replaying what is kept`,
        from: 1,
        to: oldest - 1,
      });
      for (const entry of this.entries) if (wanted(entry, client.filter)) this.write(client, entry);
      return;
    }
    if (lastEventId + 1 < oldest) {
      this.sendGap(client, {
        reason: `entries ${lastEventId + 1} to ${oldest - 1} are no longer kept`,
        from: lastEventId + 1,
        to: oldest - 1,
      });
    }
    for (const entry of this.entries)
      if (entry.id > lastEventId && wanted(entry, client.filter)) this.write(client, entry);
  }

  private sendGap(client: Client, data: { reason: string; from: number; to: number }): void {
    client.res.write(`event: gap\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(client: Client, entry: StreamEntry): void {
    if (client.res.writableLength > this.options.maxBufferedBytes) {
      // A client that does not read would hold memory without bound; it can resume by id.
      this.detach(client);
      return;
    }
    client.res.write(frameOf(entry));
  }

  private detach(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (!client.res.writableEnded) client.res.end();
    if (this.clients.size === 0) this.stopHeartbeat();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
