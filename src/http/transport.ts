import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/** What the client reads of an answer: the part of fetch's `Response` it uses. */
export interface Reply {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  json(): Promise<unknown>;
  text(): Promise<string>;
  /** The body as a web stream, for server-sent events; read it or `json`/`text`, not both. */
  readonly body: ReadableStream<Uint8Array>;
}

export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/**
 * One HTTP request through `node:http`, resolving once the status line and headers arrive.
 *
 * The CLI's client uses this instead of the global `fetch`: loading fetch's implementation (undici)
 * costs a short command as much as everything else it loads. A network failure rejects with an
 * error whose `cause` carries the system code (`ECONNREFUSED`), as fetch's does; an abort rejects
 * with `signal.reason` (a `TimeoutError` for `AbortSignal.timeout`).
 */
export function send(url: string, init: SendInit): Promise<Reply> {
  return new Promise((resolve, reject) => {
    if (init.signal.aborted) {
      reject(init.signal.reason);
      return;
    }
    const target = new URL(url);
    const request = (target.protocol === "https:" ? httpsRequest : httpRequest)(target, {
      method: init.method,
      headers: {
        ...init.headers,
        ...(init.body !== undefined ? { "content-length": Buffer.byteLength(init.body) } : {}),
      },
    });
    const onAbort = () => {
      request.destroy();
      reject(init.signal.reason);
    };
    init.signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error) => {
      init.signal.removeEventListener("abort", onAbort);
      reject(new Error(error.message, { cause: error }));
    });
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      let stream: ReadableStream<Uint8Array> | undefined;
      const web = () => {
        stream ??= Readable.toWeb(response) as ReadableStream<Uint8Array>;
        return stream;
      };
      const text = async () => {
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of response) chunks.push(chunk as Buffer);
        } finally {
          init.signal.removeEventListener("abort", onAbort);
        }
        return Buffer.concat(chunks).toString("utf8");
      };
      resolve({
        ok: status >= 200 && status < 300,
        status,
        statusText: response.statusMessage ?? "",
        text,
        json: async () => JSON.parse(await text()),
        get body() {
          return web();
        },
      });
    });
    request.end(init.body);
  });
}
