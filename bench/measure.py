"""Run one command as a child process and measure it: wall time, CPU, peak memory.

    .venv/bin/python bench/measure.py --out result.json [--postgres URL --app NAME] \
        -- .venv/bin/tracker sweep --full --on 2026-12-06

Writes one JSON object to --out: wall seconds, the user and system CPU of the child and of
the processes it waited for (the sweep's workers), its peak resident memory, its exit code,
and with --postgres the CPU spent by the database backends whose `application_name` is
--app. The peak memory is that of the child and its descendants together (their resident
sizes summed, read from /proc every 20 ms), and never less than the largest one process
reached (`ru_maxrss` from `wait4`).

Why a wrapper: Linux carries a parent's peak memory over into a child's `ru_maxrss` at exec,
and the benchmark's own process is large after building a cohort. This small process starts
the command before importing anything heavy, so the figure is the command's own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    """The CPU time (user and system) of each process still running, from /proc."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


class BackendSampler(threading.Thread):
    """Polls the PostgreSQL backends named `app` (on this host) and keeps their CPU time.

    A backend's CPU is read from /proc while it lives; the last reading before it ends is
    kept, so up to one interval of its CPU may be missed."""

    def __init__(self, url: str, app: str, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        import psycopg

        self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.db.autocommit = True
        self.app, self.interval = app, interval
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()

    def sample(self) -> None:
        """One reading of every backend of the app."""
        pids = {
            row[0]
            for row in self.db.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.app,)
            )
        }
        for pid, cpu in cpu_seconds(pids | set(self.seen)).items():
            self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)

    def total(self) -> float:
        """Stop and return the CPU seconds seen."""
        self.stop.set()
        self.join()
        self.db.close()
        return sum(self.seen.values())


class TreeMemory(threading.Thread):
    """Polls the resident memory of a process and all its descendants, summed; keeps the
    peak."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(map(_rss_kb, process_tree(self.pid))))
            self.stop.wait(self.interval)

    def peak_mb(self) -> float:
        """Stop and return the peak of the summed resident memory, in MB."""
        self.stop.set()
        self.join()
        return self.peak_kb / 1024


def process_tree(pid: int) -> list[int]:
    """The process and its descendants, from each task's children list."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    """Measure the command after `--`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stdout", type=Path, default=None)
    parser.add_argument("--stderr", type=Path, default=None)
    parser.add_argument("--postgres", default=None, help="a URL to watch backends through")
    parser.add_argument("--app", default=None, help="their application_name")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    out = open(args.stdout, "wb") if args.stdout else subprocess.DEVNULL  # noqa: SIM115
    err = open(args.stderr, "wb") if args.stderr else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=out, stderr=err)
    memory = TreeMemory(child.pid)
    memory.start()
    sampler = None
    if args.postgres and args.app:
        sampler = BackendSampler(args.postgres, args.app)
        sampler.start()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    result = {
        "command": command,
        "returncode": child.returncode,
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": max(memory.peak_mb(), usage.ru_maxrss / 1024),
        "peak_rss_one_process_mb": usage.ru_maxrss / 1024,
        "database_cpu_seconds": sampler.total() if sampler else None,
    }
    args.out.write_text(json.dumps(result))
    sys.exit(0)


if __name__ == "__main__":
    main()
