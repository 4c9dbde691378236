"""Writes per second with one and with eight clients against two workers, and a trivial
endpoint's with as many.

    .venv/bin/python bench/writes.py --url URL [--rounds 3] [--seconds 8]

Each client logs in to the API (its own bearer token) and repeats, on a different patient
each time: book a future course on its own chair (POST .../infusions), log a score (POST
.../assessments), and book a course for today then record it as given with a lot (POST
.../infusions, POST /infusions/{id}/administer): four writes, each one transaction with its
audit entry, the funding check (the bench site requires authorisations; the bookings carry
an override reason, used only when no authorisation covers the course) and the patient's
re-evaluation. GET /healthz (one SELECT 1) is the trivial endpoint. A round runs writes
with one client, /healthz with one, writes with eight, /healthz with eight, each for a
time limit after a warm-up; the rounds repeat, so that noise falls on both sides of each
ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bench.client import Connection, api_token  # noqa: E402
from bench.cohort import BENCH_PASSWORD, BENCH_USER  # noqa: E402
from bench.pages import percentile  # noqa: E402
from bench.server import Server  # noqa: E402
from tracker.store.engine import make_engine  # noqa: E402

MAX_REQUESTS_PER_CLIENT = 5000
WARM_UP_SECONDS = 2.0


class Tally:
    """Requests done by kind: successes, failures and their latencies."""

    def __init__(self) -> None:
        self.ok: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.latency_ms: list[float] = []
        self.counting = False
        self.errors: list[str] = []

    def add(self, kind: str, answer, expected: int) -> bool:
        """Count one answer (only once the warm-up is over); True when it succeeded."""
        good = answer.status == expected
        if not good and len(self.errors) < 20:
            self.errors.append(f"{kind}: {answer.status} {answer.body[:300]!r}")
        if self.counting:
            book = self.ok if good else self.failed
            book[kind] = book.get(kind, 0) + 1
            self.latency_ms.append(answer.seconds * 1000)
        return good


OVERRIDE = "bench: outside the funding authorisation"


FIRST_DAY = 60  # days ahead: past the cohort's own bookings, within the 366 allowed


async def _writer(
    port: int,
    number: int,
    chairs: list[str],
    patients: Iterator[int],
    tally: Tally,
    stop: float,
    today,
    next_slot: dict[str, int],
) -> None:
    connection = Connection("127.0.0.1", port)
    await api_token(connection, BENCH_USER, BENCH_PASSWORD)
    for i in range(MAX_REQUESTS_PER_CLIENT // 4):
        if time.monotonic() >= stop:
            break
        # A patient not written to before (one course a day each), on the client's own
        # chairs, each chair's day booked once, run after run (next_slot remembers each
        # chair's next free day): no clash, and no chair shared between clients (a booking
        # locks its chair).
        pid = next(patients)
        chair = chairs[i % len(chairs)]
        slot = next_slot.get(chair, 0)
        next_slot[chair] = slot + 1
        answer = await connection.request(
            "POST",
            f"/api/v1/patients/{pid}/infusions",
            json_body={
                "scheduled_on": (today + timedelta(days=FIRST_DAY + slot)).isoformat(),
                "start_time": "08:00",
                "chair": chair,
                "override_reason": OVERRIDE,
            },
        )
        tally.add("book", answer, 201)
        answer = await connection.request(
            "POST",
            f"/api/v1/patients/{pid}/assessments",
            json_body={
                "taken_on": today.isoformat(),
                "measure": "grip_vigorimeter",
                "side": "left",
                "value": 40 + i % 20,
                "timing": "clinic",
            },
        )
        tally.add("log score", answer, 201)
        answer = await connection.request(
            "POST",
            f"/api/v1/patients/{pid}/infusions",
            json_body={"scheduled_on": today.isoformat(), "override_reason": OVERRIDE},
        )
        if tally.add("book today", answer, 201):
            answer = await connection.request(
                "POST",
                f"/api/v1/infusions/{answer.json()['id']}/administer",
                json_body={
                    "dose_g": 50,
                    "lots": [{"lot_number": f"BENCH{number}", "vials": 5, "size_g": 10}],
                    "override_reason": OVERRIDE,
                },
            )
            tally.add("administer", answer, 200)
    connection.close()


async def _trivial(port: int, tally: Tally, stop: float) -> None:
    connection = Connection("127.0.0.1", port)
    for _ in range(MAX_REQUESTS_PER_CLIENT * 4):
        if time.monotonic() >= stop:
            break
        tally.add("healthz", await connection.request("GET", "/healthz"), 200)
    connection.close()


async def _run(clients: list, seconds: float, tally: Tally) -> float:
    # Everyone starts together; counting starts after the warm-up and stops at the end.
    tasks = [asyncio.create_task(c) for c in clients]
    await asyncio.sleep(WARM_UP_SECONDS)
    tally.counting = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    tally.counting = False
    elapsed = time.perf_counter() - started
    await asyncio.gather(*tasks)
    return elapsed


def _summary(tally: Tally, elapsed: float) -> dict:
    done = sum(tally.ok.values())
    return {
        "requests": done,
        "seconds": elapsed,
        "per_second": done / elapsed,
        "by_kind": {k: v / elapsed for k, v in tally.ok.items()},
        "failed": dict(tally.failed),
        "errors": tally.errors[:5],
        "latency_p50_ms": statistics.median(tally.latency_ms) if tally.latency_ms else None,
        "latency_p95_ms": percentile(tally.latency_ms, 95) if tally.latency_ms else None,
    }


async def _measure(
    port: int,
    chairs: list[str],
    patients: list[int],
    *,
    rounds: int,
    seconds: float,
    clients: tuple[int, ...],
) -> dict:
    today = datetime.now(UTC).date()
    next_slot: dict[str, int] = {}
    random.Random(1).shuffle(patients)
    chosen = itertools.cycle(patients)
    runs: dict[str, list[dict]] = {}
    for _round in range(rounds):
        for n in clients:
            writes = Tally()
            stop = time.monotonic() + WARM_UP_SECONDS + seconds
            writers = [
                _writer(port, k, chairs[k::n], chosen, writes, stop, today, next_slot)
                for k in range(n)
            ]
            elapsed = await _run(writers, seconds, writes)
            runs.setdefault(f"writes_{n}", []).append(_summary(writes, elapsed))
            trivial = Tally()
            stop = time.monotonic() + WARM_UP_SECONDS + seconds
            elapsed = await _run(
                [_trivial(port, trivial, stop) for _ in range(n)], seconds, trivial
            )
            runs.setdefault(f"healthz_{n}", []).append(_summary(trivial, elapsed))
    return {"rounds": rounds, "seconds": seconds, **runs}


def chairs_and_patients(url: str) -> tuple[list[str], list[int]]:
    """The chairs, and the patients the writers may book today: active, on an IV regimen
    only, with no course today yet."""
    today = datetime.now(UTC).date()
    engine = make_engine(url)
    with engine.connect() as connection:
        chairs = list(connection.execute(text("SELECT code FROM chair ORDER BY code")).scalars())
        patients = list(
            connection.execute(
                text(
                    "SELECT p.id FROM patient p WHERE p.status = 'active' AND EXISTS "
                    "(SELECT 1 FROM regimen r WHERE r.patient_id = p.id AND r.route = 'iv') "
                    "AND NOT EXISTS (SELECT 1 FROM regimen r WHERE r.patient_id = p.id "
                    "AND r.route = 'sc') AND NOT EXISTS (SELECT 1 FROM infusion i WHERE "
                    "i.patient_id = p.id AND i.scheduled_on = :today) ORDER BY p.id"
                ),
                {"today": today if engine.dialect.name == "postgresql" else today.isoformat()},
            ).scalars()
        )
    engine.dispose()
    return chairs, patients


def measure(
    url: str,
    *,
    rounds: int,
    seconds: float,
    log_dir: Path,
    clients: tuple[int, ...] = (1, 8),
) -> dict:
    """Serve the database with two workers and measure writes against GET /healthz."""
    chairs, patients = chairs_and_patients(url)
    if len(chairs) < max(clients):
        raise SystemExit(f"need a chair per client: {len(chairs)} chairs, {max(clients)} clients")
    with Server(url, workers=2, log_dir=log_dir) as server:
        return asyncio.run(
            _measure(server.port, chairs, patients, rounds=rounds, seconds=seconds, clients=clients)
        )


def main() -> None:
    """Measure from the command line and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = measure(args.url, rounds=args.rounds, seconds=args.seconds, log_dir=Path(folder))
    for key, runs in result.items():
        if isinstance(runs, list):
            rates = ", ".join(f"{r['per_second']:.0f}/s" for r in runs)
            failed = [r["failed"] for r in runs if r["failed"]]
            print(f"{key:10} {rates}" + (f"  failed: {failed}" if failed else ""))
            for run in runs:
                for error in run["errors"]:
                    print("   ", error)


if __name__ == "__main__":
    main()
