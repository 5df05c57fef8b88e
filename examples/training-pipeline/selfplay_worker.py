"""A self-play worker: the training pipeline's one real program, supervised by ringmaster.

It stands in for the seeds' Python self-play processes. ringmaster starts it as the command
daemon `selfplay_worker` and hands it its resolved config as environment variables
RINGMASTER_SELFPLAY_WORKER_<KEY> (numbers as text, lists and objects as JSON); every line it
prints is a log line of the daemon (stdout: info, stderr: warn). Now and then it "crashes" with
exit code 3, and ringmaster restarts it with backoff. SIGTERM makes it finish cleanly.
"""

import json
import os
import random
import signal
import sys
import time

PREFIX = "RINGMASTER_SELFPLAY_WORKER_"


def setting(key, default):
    """The config value `key` from the environment, parsed as JSON where it is JSON."""
    raw = os.environ.get(PREFIX + key)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return raw


games_per_batch = int(setting("GAMES_PER_BATCH", 8))
interval = float(setting("INTERVAL_SECONDS", 1))
board = str(setting("BOARD_TYPE", "hex8"))
crash_min, crash_max = setting("CRASH_AFTER_SECONDS", [30, 90])
crash_at = time.monotonic() + random.uniform(float(crash_min), float(crash_max))
games = 0


def stop(signum, frame):
    print(f"SIGTERM: stopping after {games} games", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print(f"selfplay worker {os.getpid()}: board {board}, {games_per_batch} games per batch", flush=True)

batch = 0
while True:
    time.sleep(interval)
    batch += 1
    games += games_per_batch
    print(f"batch {batch}: {games_per_batch} games on {board} ({games} in total)", flush=True)
    if time.monotonic() >= crash_at:
        print(f"simulated crash after {games} games: CUDA error: out of memory", file=sys.stderr, flush=True)
        sys.exit(3)
