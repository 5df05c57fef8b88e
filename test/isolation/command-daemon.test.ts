import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/internal/clock.js";
import { type CommandDaemonSpec, commandDaemonHooks } from "../../src/isolation/command-daemon.js";
import { pidRunning } from "../../src/isolation/proc-stats.js";
import type { DaemonContext } from "../../src/registry/types.js";
import { waitUntil } from "./command-helpers.js";

/** The parts of a run's ctx a command daemon touches; the supervisor builds the real one. */
function runContext(config: Record<string, unknown> = {}) {
  const abort = new AbortController();
  const logs: Array<[string, string]> = [];
  const log = (level: string) => (message: string) => logs.push([level, message]);
  const ctx = {
    name: "selfplay",
    config,
    signal: abort.signal,
    clock: systemClock,
    log: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
  } as unknown as DaemonContext<Record<string, unknown>>;
  return { ctx, abort, logs };
}

const spec = (command: string[], extra: Partial<CommandDaemonSpec> = {}): CommandDaemonSpec => ({
  name: "selfplay",
  command,
  healthTimeout: 1000,
  killTimeout: 300,
  ...extra,
});
const host = { envPrefix: "RINGMASTER", inheritedEnv: { PATH: process.env.PATH } };

describe("commandDaemonHooks", () => {
  it("hands the program its config as RINGMASTER_<DAEMON>_<KEY> and the spec's env, and logs its lines", async () => {
    const hooks = commandDaemonHooks(
      spec(
        [
          "sh",
          "-c",
          'echo "$RINGMASTER_SELFPLAY_GAMES_PER_BATCH $RINGMASTER_SELFPLAY_BOARD $RINGMASTER_SELFPLAY_FAST $EXTRA"; echo slow >&2',
        ],
        {
          env: { EXTRA: "x" },
        },
      ),
      host,
    );
    const { ctx, logs } = runContext({ gamesPerBatch: 8, board: { size: 9 }, fast: true });
    await hooks.setup(ctx);
    await hooks.run(ctx);
    await hooks.cleanup(ctx);
    expect(logs).toEqual([
      ["info", expect.stringMatching(/^started sh -c/)],
      ["info", '8 {"size":9} true x'],
      ["warn", "slow"],
    ]);
  });

  it("run rejects with the exit code of a program that fails", async () => {
    const hooks = commandDaemonHooks(spec(["sh", "-c", "exit 3"]), host);
    const { ctx } = runContext();
    await hooks.setup(ctx);
    await expect(hooks.run(ctx)).rejects.toThrow("exit code 3");
  });

  it("a stop ends the run normally once the whole group is gone, SIGTERM-proof or not", async () => {
    const hooks = commandDaemonHooks(
      spec(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], {
        ready: { line: /ready/ },
      }),
      host,
    );
    const { ctx, abort } = runContext();
    await hooks.setup(ctx);
    const pid = hooks.stats(ctx)?.pid as number;
    expect(await pidRunning(pid)).toBe(true);
    const running = hooks.run(ctx);
    abort.abort();
    await running;
    await hooks.cleanup(ctx);
    expect(await pidRunning(pid)).toBe(false);
  });

  it("a start that is not ready fails and leaves no process", async () => {
    const hooks = commandDaemonHooks(
      spec(["sh", "-c", "echo $$; exit 1"], { ready: { line: /never/ } }),
      host,
    );
    const { ctx, logs } = runContext();
    await expect(hooks.setup(ctx)).rejects.toThrow("exited before it was ready: exit code 1");
    const pid = Number(logs.find(([, line]) => /^\d+$/.test(line))?.[1]);
    expect(await waitUntil(async () => !(await pidRunning(pid)), 2000)).toBe(true);
  });
});
