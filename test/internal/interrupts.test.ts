import { describe, expect, it } from "vitest";
import { DUPLICATE_SIGNAL_MS, interruptCounter } from "../../src/internal/interrupts.js";

describe("interruptCounter", () => {
  it("takes a repeat within the window as the same interrupt, and a later one as a second", () => {
    let now = 1_000;
    const next = interruptCounter(() => now);
    expect(next()).toBe("first");
    now += 5;
    expect(next()).toBe("duplicate");
    now += DUPLICATE_SIGNAL_MS - 10;
    expect(next()).toBe("duplicate");
    now += 10;
    expect(next()).toBe("again");
    expect(next()).toBe("again");
  });
});
