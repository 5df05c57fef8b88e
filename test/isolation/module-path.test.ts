import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { callerModule } from "../../src/isolation/module-path.js";

// Stands in for defineDaemon: a function in another file asking who called it.
import { declareHere } from "./fixtures/declare.js";

describe("callerModule", () => {
  it("names the file that called the declaring function, not the declaring function's own", () => {
    expect(declareHere()).toBe(fileURLToPath(import.meta.url));
  });

  it("names the caller when asked from the caller's own file", () => {
    expect(callerModule("file:///nowhere/define.ts")).toBe(fileURLToPath(import.meta.url));
  });
});
