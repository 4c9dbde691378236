"""Compare the writes of two versions of the tracker on one database, in both places.

    .venv/bin/python bench/compare.py --url URL BEFORE AFTER \\
        [--env-before JSON] [--env-after JSON] [--bursts 6] [--seconds 4]

BEFORE and AFTER are checkouts, each with its own .venv (a `git worktree` with a link to
this one's .venv will do), or the same checkout twice with different settings
(`--env-after '{"TRACKER_WEB_THREADS": "40"}'`). Each is served by its own gunicorn (two
workers, the deployment's settings); eight clients write as bench/writes.py's do (book,
score, book for today, give), in bursts of `--seconds` on one server then the other, in
alternating order, after a burst each that is not counted (the first meets a cold cache).
Summed per burst: the writes, and the CPU of the server's processes and of PostgreSQL's
(on SQLite, the server's alone).

The two servers are not alike even with the same code: the one started second wrote 1.04
to 1.23 times as fast on the machines this was written on (docs/write-profile.md, round
eight). So the comparison runs twice, the versions swapped between the two places, and
prints the two ratios and their combination (the geometric mean of the one and the
inverse of the other), which cancels a lean that stays the same. Run it on a quiet
machine; same code on both sides shows what the noise is. Run it on a database these
writers have not written to (a cohort from bench/cohort.py, or a restore of its dump):
their bookings take each chair's days from 60 days ahead, which a second run finds taken.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import cpu_seconds, process_tree  # noqa: E402
from bench.server import Server  # noqa: E402
from bench.writes import Tally, _writer, chairs_and_patients  # noqa: E402

CLIENTS = 8
UNCOUNTED_SECONDS = 0.5


def _postgres_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Writers:
    """Eight clients' worth of patients and chairs, shared by every burst."""

    def __init__(self, url: str) -> None:
        self.chairs, patients = chairs_and_patients(url)
        if len(self.chairs) < CLIENTS:
            raise SystemExit(f"need a chair per client: {len(self.chairs)} chairs")
        random.Random(1).shuffle(patients)
        self.patients = itertools.cycle(patients)
        self.next_slot: dict[str, int] = {}
        self.today = datetime.now(UTC).date()
        self.postgres = url.startswith("postgresql")

    async def burst(self, server: Server, seconds: float) -> tuple[float, float]:
        """Write for `seconds` after a moment not counted: (writes a second, CPU ms a write)."""
        tally = Tally()
        stop = time.monotonic() + UNCOUNTED_SECONDS + seconds
        clients = [
            _writer(
                server.port,
                k,
                self.chairs[k::CLIENTS],
                self.patients,
                tally,
                stop,
                self.today,
                self.next_slot,
            )
            for k in range(CLIENTS)
        ]
        tasks = [asyncio.create_task(c) for c in clients]
        await asyncio.sleep(UNCOUNTED_SECONDS)
        database = _postgres_processes() if self.postgres else []
        pids = {*process_tree(server.process.pid), *database}
        tally.counting = True
        cpu, started = sum(cpu_seconds(pids).values()), time.perf_counter()
        await asyncio.sleep(seconds)
        tally.counting = False
        cpu = sum(cpu_seconds(pids).values()) - cpu
        elapsed = time.perf_counter() - started
        await asyncio.gather(*tasks)
        if tally.failed:
            print(f"  failed: {tally.failed} {tally.errors[:2]}", file=sys.stderr)
        done = sum(tally.ok.values())
        return done / elapsed, cpu / max(done, 1) * 1000


async def _placed(writers: Writers, first: Server, second: Server, bursts: int, seconds: float):
    # (writes a second, CPU a write) of each server, averaged over its counted bursts.
    await writers.burst(first, seconds)
    await writers.burst(second, seconds)
    runs: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for n in range(bursts):
        for place in (0, 1) if n % 2 == 0 else (1, 0):
            runs[place].append(await writers.burst((first, second)[place], seconds))
    return [
        (sum(r[0] for r in runs[p]) / bursts, sum(r[1] for r in runs[p]) / bursts) for p in (0, 1)
    ]


def compare(args: argparse.Namespace) -> None:
    """Run the comparison in both places and print the ratios, after over before."""
    writers = Writers(args.url)
    versions = {
        "before": (Path(args.before).resolve(), json.loads(args.env_before)),
        "after": (Path(args.after).resolve(), json.loads(args.env_after)),
    }
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        for order in (("before", "after"), ("after", "before")):
            servers = [
                Server(args.url, log_dir=Path(folder), root=versions[v][0], env=versions[v][1])
                for v in order
            ]
            try:
                (w1, c1), (w2, c2) = asyncio.run(
                    _placed(writers, servers[0], servers[1], args.bursts, args.seconds)
                )
            finally:
                for server in servers:
                    server.stop()
            print(
                f"{order[0]} first: {w1:.1f} /s, {c1:.2f} ms CPU a write; "
                f"{order[1]} second: {w2:.1f} /s, {c2:.2f} ms; second / first "
                f"{w2 / w1:.3f} the writes, {c2 / c1:.3f} the CPU"
            )
            ratios.append((w2 / w1, c2 / c1))
    (w_ab, c_ab), (w_ba, c_ba) = ratios
    print(
        f"after / before, both places combined: {math.sqrt(w_ab / w_ba):.3f} the writes a "
        f"second, {math.sqrt(c_ab / c_ba):.3f} the CPU a write; the places' own lean "
        f"{math.sqrt(w_ab * w_ba):.3f}"
    )


def main() -> None:
    """Compare from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("before", help="the checkout measured first in the first run")
    parser.add_argument("after")
    parser.add_argument("--env-before", default="{}", help="settings for BEFORE (JSON)")
    parser.add_argument("--env-after", default="{}", help="settings for AFTER (JSON)")
    parser.add_argument("--bursts", type=int, default=6, help="counted bursts per server")
    parser.add_argument("--seconds", type=float, default=4.0)
    compare(parser.parse_args())


if __name__ == "__main__":
    main()
