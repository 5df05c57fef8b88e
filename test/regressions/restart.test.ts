import { defineDaemon } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

describe("regressions: restartDaemon", () => {
  it("restartDaemon on a stopped daemon whose dependency is stopped starts both and resolves", async () => {
    const b = defineDaemon({ name: "b" });
    const a = defineDaemon({ name: "a", dependsOn: ["b"] });
    const other = defineDaemon({ name: "other" });
    const { clock, manager } = setup([b, a, other]);
    await drive(clock, manager.start({ daemons: ["other"] }));
    const s = await drive(clock, manager.restartDaemon("a"), 100, 60_000);
    expect(s.state).toBe("running");
  });
});
