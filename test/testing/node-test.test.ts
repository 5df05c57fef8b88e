// Runs the node:test example as a user would, in a child process, so the README's example stays true.
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("ringmaster/testing under node:test", () => {
  it("passes the example test file with `node --import tsx --test`", async () => {
    const file = join("test", "testing", "my-new-daemon.node-test.ts");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--test", "--test-reporter=tap", file],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(stdout).toMatch(/^# pass 2$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  }, 90_000);
});
