// defineDaemon's heartbeatTimeout (DESIGN.md §2): a duration like the other timeouts, default none,
// and a bad value names the daemon, the option and what was expected.
import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";

const run = async () => {};

describe("defineDaemon heartbeatTimeout", () => {
  it("defaults to none and reads durations as the other timeouts do", () => {
    expect(defineDaemon({ name: "node_watcher", run }).heartbeatTimeout).toBeUndefined();
    expect(
      defineDaemon({ name: "node_watcher", run, heartbeatTimeout: "30s" }).heartbeatTimeout,
    ).toBe(30_000);
    expect(
      defineDaemon({ name: "node_watcher", run, heartbeatTimeout: 1500 }).heartbeatTimeout,
    ).toBe(1500);
  });

  it("refuses a value that is not a duration, or zero", () => {
    expect(() =>
      defineDaemon({ name: "node_watcher", run, heartbeatTimeout: "soon" as never }),
    ).toThrow(
      'daemon "node_watcher", option heartbeatTimeout: expected a duration such as 500 (ms), "500ms", "60s", "5m" or "1h", found "soon"',
    );
    expect(() => defineDaemon({ name: "node_watcher", run, heartbeatTimeout: 0 })).toThrow(
      'daemon "node_watcher", option heartbeatTimeout: expected a duration of more than 0 ms such as "30s", found 0',
    );
    expect(() => defineDaemon({ name: "node_watcher", run, heartbeatTimeout: -5 })).toThrow(
      /option heartbeatTimeout: expected a duration of 0 ms or more, found -5/,
    );
  });
});
