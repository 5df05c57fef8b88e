import { type Channel, deserializeError, type Message, serializeError } from "./protocol.js";

// `never` arguments: a handler names the type it expects; the peer is trusted to send it.
type RequestHandler = (args: never, signal: AbortSignal) => unknown;
type NoteHandler = (args: never) => void;

/**
 * Request/response and notes over a {@link Channel}, the same on both sides of an isolation
 * boundary. `request` resolves with the peer handler's value or rejects with its error (name,
 * message and stack kept); passing a signal sends a `cancel` when it aborts, which aborts the
 * signal the peer's handler got; the request still settles with whatever the handler does.
 * `close(error)` rejects every request in flight and every later one: the peer is gone.
 */
export class Bridge {
  private nextId = 1;
  private pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  private handling = new Map<number, AbortController>();
  private requests = new Map<string, RequestHandler>();
  private notes = new Map<string, NoteHandler[]>();
  private closed: Error | undefined;

  constructor(private channel: Channel) {
    channel.onMessage((message) => this.receive(message));
  }

  /** Answers requests of `op`; the handler's value (or promise) is the response. */
  handle(op: string, handler: RequestHandler): this {
    this.requests.set(op, handler);
    return this;
  }

  /** Takes notes of `op` (every handler given for it, in order). */
  on(op: string, handler: NoteHandler): this {
    const handlers = this.notes.get(op);
    if (handlers) handlers.push(handler);
    else this.notes.set(op, [handler]);
    return this;
  }

  request<T = unknown>(op: string, args?: unknown, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => this.post({ t: "cancel", id });
      const settle = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value as T);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      this.post({ t: "req", id, op, args });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  notify(op: string, args?: unknown): void {
    if (!this.closed) this.post({ t: "note", op, args });
  }

  /** The peer is gone: everything in flight rejects with `error`, and so does every later request. */
  close(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    for (const controller of this.handling.values()) controller.abort(error);
    this.handling.clear();
  }

  private post(message: Message): void {
    try {
      this.channel.send(message);
    } catch (error) {
      // A closed channel: the exit handler closes the bridge with the real reason.
      if (message.t === "req") this.pending.get(message.id)?.reject(error as Error);
    }
  }

  private receive(message: Message): void {
    switch (message.t) {
      case "res": {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if (message.ok) waiter.resolve(message.value);
        else waiter.reject(deserializeError(message.error));
        return;
      }
      case "req":
        void this.answer(message.id, message.op, message.args);
        return;
      case "cancel":
        this.handling.get(message.id)?.abort();
        return;
      case "note":
        for (const handler of this.notes.get(message.op) ?? []) handler(message.args as never);
        return;
    }
  }

  private async answer(id: number, op: string, args: unknown): Promise<void> {
    const handler = this.requests.get(op);
    const controller = new AbortController();
    this.handling.set(id, controller);
    try {
      if (!handler) throw new Error(`no handler for request "${op}"`);
      const value = await handler(args as never, controller.signal);
      // Sent here, inside the try: a value that cannot be cloned becomes an error response.
      if (!this.closed) this.channel.send({ t: "res", id, ok: true, value });
    } catch (error) {
      if (!this.closed) this.post({ t: "res", id, ok: false, error: serializeError(error) });
    } finally {
      this.handling.delete(id);
    }
  }
}
