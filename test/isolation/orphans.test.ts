import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alive, waitFor } from "./helpers.js";

const MANAGER = fileURLToPath(new URL("./fixtures/manager.ts", import.meta.url));

describe("a process daemon's guest", () => {
  it("does not outlive its manager killed with -9", async () => {
    const manager = spawn(process.execPath, ["--import", "tsx", MANAGER], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      manager.stdout.on("data", (chunk) => {
        const match = /pid (\d+)/.exec(String(chunk));
        if (match) resolve(Number(match[1]));
      });
      manager.on("exit", (code) => reject(new Error(`manager exited early (${code})`)));
    });
    expect(alive(pid)).toBe(true);
    manager.kill("SIGKILL");
    await waitFor(() => !alive(pid), 5000, `guest ${pid} to be gone`);
    expect(alive(pid)).toBe(false);
  });
});
