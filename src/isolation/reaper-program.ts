/**
 * The reaper's own program, run as `node -e REAPER_PROGRAM` (so it needs no loader and no file
 * from the package: it works the same from `src/` under tsx and from `dist/`). Plain CommonJS
 * JavaScript, no dependencies.
 *
 * Protocol over its IPC channel, from the manager:
 * - `{ op: "track", pgid, killTimeout }`: a process group the manager started;
 * - `{ op: "untrack", pgid }`: that group is gone.
 *
 * When the channel disconnects (the manager exited, was killed with SIGKILL, or said goodbye),
 * when its parent changes, or on SIGTERM, it sends SIGTERM to every tracked group, SIGKILL to each
 * group still running `killTimeout` ms later, and exits once none runs (or 5 s after the last
 * SIGKILL was due). Zombies do not count as running: where PID 1 does not reap orphans they
 * never go away. SIGINT and SIGHUP are ignored; it runs in its own session anyway, so a
 * terminal's Ctrl-C reaches the manager, not it.
 */
export const REAPER_PROGRAM = String.raw`"use strict";
const fs = require("fs");
const groups = new Map();
const parent = process.ppid;
let reaping = false;

function runningGroups(pgids) {
  const candidates = new Set();
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 0);
      candidates.add(pgid);
    } catch (error) {
      if (error.code === "EPERM") candidates.add(pgid);
    }
  }
  if (candidates.size === 0) return candidates;
  let names;
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return candidates;
  }
  const running = new Set();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let text;
    try {
      text = fs.readFileSync("/proc/" + name + "/stat", "utf8");
    } catch {
      continue;
    }
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const pgid = Number(fields[2]);
    if (candidates.has(pgid) && fields[0] !== "Z" && fields[0] !== "X") running.add(pgid);
  }
  return running;
}

function signal(pgid, name) {
  try {
    process.kill(-pgid, name);
  } catch {}
}

function reap() {
  if (reaping) return;
  reaping = true;
  const targets = new Map(groups);
  if (targets.size === 0) process.exit(0);
  for (const pgid of targets.keys()) signal(pgid, "SIGTERM");
  const started = Date.now();
  const last = Math.max(...targets.values());
  const tick = () => {
    const left = runningGroups(targets.keys());
    if (left.size === 0) process.exit(0);
    const elapsed = Date.now() - started;
    for (const pgid of left) if (elapsed >= targets.get(pgid)) signal(pgid, "SIGKILL");
    if (elapsed > last + 5000) process.exit(1);
    setTimeout(tick, 50);
  };
  setTimeout(tick, 50);
}

process.on("message", (message) => {
  if (!message || typeof message.pgid !== "number") return;
  if (message.op === "track") groups.set(message.pgid, Number(message.killTimeout) || 0);
  else if (message.op === "untrack") groups.delete(message.pgid);
});
process.on("disconnect", reap);
process.on("SIGTERM", reap);
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
setInterval(() => {
  if (process.ppid !== parent) reap();
}, 1000);
`;
