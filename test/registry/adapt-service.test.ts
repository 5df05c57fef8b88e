// adaptService (issue 15, item 11): an object, a class or a factory as a daemon spec.
import { adaptService, type DaemonContext } from "ringmaster";
import { describe, expect, it } from "vitest";
import { drive, setup } from "../helpers.js";

/** The seeds' AutoSyncDaemon in miniature: state that must not survive a restart. */
class AutoSyncDaemon {
  static built = 0;
  readonly id = ++AutoSyncDaemon.built;
  syncs = 0;
  running = false;
  constructor(readonly config: { peers: number } = { peers: 2 }) {}
  start(ctx: DaemonContext) {
    this.running = true;
    this.syncs++;
    ctx.log.info(`instance ${this.id} started`);
  }
  stop() {
    this.running = false;
  }
  health_check() {
    return {
      healthy: this.running,
      message: `instance ${this.id}`,
      details: { syncs: this.syncs },
    };
  }
}

describe("adaptService", () => {
  it("with a factory, builds a fresh instance for every start and uses it for health and stop", async () => {
    const built: AutoSyncDaemon[] = [];
    const spec = adaptService(
      () => {
        const instance = new AutoSyncDaemon({ peers: 3 });
        built.push(instance);
        return instance;
      },
      { name: "auto_sync" },
    );
    const { clock, manager } = setup([spec]);
    await drive(clock, manager.start());
    expect(built).toHaveLength(1);
    expect((await manager.checkHealth("auto_sync")).message).toBe(`instance ${built[0]?.id}`);

    await drive(clock, manager.restartDaemon("auto_sync"));
    expect(built).toHaveLength(2);
    expect(built[0]?.running).toBe(false); // the first run's instance was stopped
    expect(built[1]).toMatchObject({ running: true, syncs: 1, config: { peers: 3 } });
    const health = await manager.checkHealth("auto_sync");
    expect(health).toMatchObject({ status: "healthy", message: `instance ${built[1]?.id}` });
    expect(health.details).toEqual({ syncs: 1 });
    await drive(clock, manager.shutdown());
    expect(built[1]?.running).toBe(false);
  });

  it("with a class, constructs it for every start", async () => {
    const before = AutoSyncDaemon.built;
    const { clock, manager } = setup([adaptService(AutoSyncDaemon, { name: "auto_sync" })]);
    await drive(clock, manager.start());
    await drive(clock, manager.restartDaemon("auto_sync"));
    expect(AutoSyncDaemon.built - before).toBe(2);
    expect(manager.status("auto_sync").state).toBe("running");
    await drive(clock, manager.shutdown());
  });

  it("with a single object, reuses it across restarts (its state carries over)", async () => {
    const service = new AutoSyncDaemon();
    const { clock, manager } = setup([adaptService(service, { name: "auto_sync" })]);
    await drive(clock, manager.start());
    await drive(clock, manager.restartDaemon("auto_sync"));
    expect(service.syncs).toBe(2);
    await drive(clock, manager.shutdown());
  });

  it("checks methods up front for objects and classes, and fails a factory's start for good", async () => {
    class NoStop {
      start() {}
    }
    expect(() => adaptService(new NoStop(), { name: "x" })).toThrow(
      'adaptService("x"): the service has no stop method (looked for stop())',
    );
    expect(() => adaptService(NoStop, { name: "x" })).toThrow(/has no stop method/);
    const { clock, manager } = setup([adaptService(() => new NoStop(), { name: "x" })]);
    const report = await drive(clock, manager.start());
    expect(report.failed).toEqual(["x"]);
    expect(manager.status("x").lastError).toContain("the service has no stop method");
    expect(manager.status("x").restarts).toBe(0);
    await drive(clock, manager.shutdown());
  });
});
