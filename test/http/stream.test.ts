import { describe, expect, it } from "vitest";
import { parseEventStream, type StreamMessage } from "../../src/http/client.js";
import { getJson, serve, ticker, until } from "./helpers.js";

/** Connects to /api/stream and collects messages until the test aborts it. */
function connect(url: string, init: { headers?: Record<string, string>; query?: string } = {}) {
  const controller = new AbortController();
  const messages: StreamMessage[] = [];
  const opened = fetch(`${url}/api/stream${init.query ?? ""}`, {
    headers: init.headers ?? {},
    signal: controller.signal,
  });
  const done = opened.then(async (response) => {
    try {
      for await (const m of parseEventStream(response.body as ReadableStream<Uint8Array>))
        messages.push(m);
    } catch {
      // aborted
    }
  });
  return { opened, messages, done, close: () => controller.abort() };
}

describe("GET /api/stream", () => {
  it("delivers state changes as server-sent events with increasing ids", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    const stream = connect(url, { query: "?types=state,restart" });
    const response = await stream.opened;
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");

    await manager.restartDaemon("alpha");
    await until(() =>
      stream.messages.some(
        (m) => m.type === "state" && (m.data as { to: string }).to === "running",
      ),
    );
    const states = stream.messages.filter((m) => m.type === "state");
    expect(states.map((m) => (m.data as { to: string }).to)).toEqual([
      "stopping",
      "waiting",
      "starting",
      "running",
    ]);
    expect(states[0]?.data).toMatchObject({ name: "alpha", from: "running", to: "stopping" });
    expect(stream.messages.some((m) => m.type === "restart")).toBe(true);
    expect(stream.messages.every((m) => m.type === "state" || m.type === "restart")).toBe(true);
    const ids = stream.messages.map((m) => m.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    stream.close();
    await stream.done;
  });

  it("resumes after Last-Event-ID from the replay buffer", async () => {
    const { manager, url } = await serve([ticker("alpha"), ticker("beta")]);
    const first = connect(url, { query: "?types=state" });
    await first.opened;
    await manager.restartDaemon("alpha");
    await until(() => first.messages.length >= 4);
    const lastSeen = first.messages[1]?.id as number; // it saw two, then dropped
    first.close();
    await first.done;

    await manager.restartDaemon("beta"); // while disconnected
    const resumed = connect(url, {
      query: "?types=state",
      headers: { "last-event-id": String(lastSeen) },
    });
    await resumed.opened;
    await until(() => resumed.messages.length >= 6);
    const seen = resumed.messages.map(
      (m) => `${(m.data as { name: string }).name}:${(m.data as { to: string }).to}`,
    );
    expect(seen).toEqual([
      "alpha:starting",
      "alpha:running",
      "beta:stopping",
      "beta:waiting",
      "beta:starting",
      "beta:running",
    ]);
    expect(resumed.messages[0]?.id).toBeGreaterThan(lastSeen);
    resumed.close();
    await resumed.done;
  });

  it("says so with a gap entry when the id is unknown, filters by daemon and rejects bad input", async () => {
    const { manager, url } = await serve([ticker("alpha"), ticker("beta")]);
    const stream = connect(url, {
      query: "?types=state&daemon=BETA&lastEventId=99999",
    });
    await stream.opened;
    await manager.restartDaemon("alpha");
    await manager.restartDaemon("beta");
    await until(() =>
      stream.messages.some(
        (m) =>
          (m.data as { to?: string }).to === "running" &&
          (m.data as { name?: string }).name === "beta" &&
          (m.id ?? 0) > 0 &&
          stream.messages.filter((x) => x.type === "state").length >= 6,
      ),
    );
    expect(stream.messages[0]?.type).toBe("gap");
    const names = new Set(
      stream.messages
        .filter((m) => m.type === "state")
        .map((m) => (m.data as { name: string }).name),
    );
    expect([...names]).toEqual(["beta"]);
    stream.close();
    await stream.done;

    const badType = await getJson(`${url}/api/stream?types=state,gossip`);
    expect(badType.status).toBe(400);
    expect(badType.body.message).toMatch(/^querystring\/types: unknown type gossip/);
    expect((await getJson(`${url}/api/stream?daemon=nope`)).status).toBe(404);
  });

  it("ends streams when the manager shuts down, without holding it open", async () => {
    const { manager, url } = await serve([ticker("alpha")]);
    const response = await fetch(`${url}/api/stream`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    manager.events.publish("PING" as never, { n: 1 } as never);
    await until(() => text.includes("event: event"));
    const t0 = Date.now();
    await manager.shutdown();
    await reading; // the server ended the stream
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(text.startsWith("retry: 2000\n\n")).toBe(true);
    expect(text).toMatch(/event: event\ndata: \{"id":"[^"]+","type":"PING"/);
    expect(text).toContain("event: manager");
  });
});
