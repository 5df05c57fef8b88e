import { describe, expect, it } from "vitest";
import { currentOwner, type Owner, runAs, runUnowned } from "../../src/supervisor/async-context.js";

const owner = (label: string): Owner => ({ kind: "daemon", label, escaped() {} });

describe("runUnowned", () => {
  it("runs as no one, and what it schedules belongs to no one, while the caller stays the owner", async () => {
    const a = owner("a");
    const seen: string[] = [];
    await runAs(a, async () => {
      const inside = runUnowned(() => {
        seen.push(`inside ${currentOwner()?.label ?? "no one"}`);
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.push(`timer ${currentOwner()?.label ?? "no one"}`);
            resolve();
          }, 1),
        );
      });
      seen.push(`after ${currentOwner()?.label ?? "no one"}`);
      await inside;
      seen.push(`awaited ${currentOwner()?.label ?? "no one"}`);
    });
    expect(seen).toEqual(["inside no one", "after a", "timer no one", "awaited a"]);
  });

  it("nested in another owner's run, returns to it; outside any run, changes nothing", () => {
    const a = owner("a");
    const b = owner("b");
    const labels = runAs(a, () =>
      runAs(b, () => [runUnowned(() => currentOwner()?.label ?? "no one"), currentOwner()?.label]),
    );
    expect(labels).toEqual(["no one", "b"]);
    expect(runUnowned(() => currentOwner())).toBeUndefined();
    expect(currentOwner()).toBeUndefined();
  });
});
