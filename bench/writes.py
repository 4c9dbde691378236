"""Writes per second with concurrent clients against two workers, and a trivial endpoint's.

    .venv/bin/python bench/writes.py --url URL [--clients 8] [--seconds 15]

Each client logs in to the API (its own bearer token) and repeats, on a different patient
each time: book a future course on its own chair (POST .../infusions), log a score (POST
.../assessments), and book a course for today then record it as given with a lot (POST
.../infusions, POST /infusions/{id}/administer): four writes, each one transaction with its
audit entry and the patient's re-evaluation. The same clients then call GET /healthz (one
SELECT 1) for as long. Both runs stop at a time limit or a request count, whichever first.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
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

    def add(self, kind: str, answer, expected: int) -> bool:
        """Count one answer (only once the warm-up is over); True when it succeeded."""
        good = answer.status == expected
        if self.counting:
            book = self.ok if good else self.failed
            book[kind] = book.get(kind, 0) + 1
            self.latency_ms.append(answer.seconds * 1000)
        return good


async def _writer(
    port: int, number: int, chair: str, patients: list[int], tally: Tally, stop: float, today
) -> None:
    connection = Connection("127.0.0.1", port)
    await api_token(connection, BENCH_USER, BENCH_PASSWORD)
    rng = random.Random(number)
    far = today + timedelta(days=200)
    for i in range(MAX_REQUESTS_PER_CLIENT // 4):
        if time.monotonic() >= stop:
            break
        pid = rng.choice(patients)
        # One booking per chair and day: the chair's own calendar never clashes.
        answer = await connection.request(
            "POST",
            f"/api/v1/patients/{pid}/infusions",
            json_body={
                "scheduled_on": (far + timedelta(days=i)).isoformat(),
                "start_time": "08:00:00",
                "chair": chair,
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
            json_body={"scheduled_on": today.isoformat()},
        )
        if tally.add("book today", answer, 201):
            answer = await connection.request(
                "POST",
                f"/api/v1/infusions/{answer.json()['id']}/administer",
                json_body={
                    "dose_g": 50,
                    "lots": [{"lot_number": f"BENCH{number}", "vials": 5, "size_g": 10}],
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
        "latency_p50_ms": statistics.median(tally.latency_ms) if tally.latency_ms else None,
        "latency_p95_ms": percentile(tally.latency_ms, 95) if tally.latency_ms else None,
    }


async def _measure(
    port: int, chairs: list[str], patients: list[int], clients: int, seconds: float
) -> dict:
    today = datetime.now(UTC).date()
    writes = Tally()
    stop = time.monotonic() + WARM_UP_SECONDS + seconds
    elapsed = await _run(
        [_writer(port, n, chairs[n], patients, writes, stop, today) for n in range(clients)],
        seconds,
        writes,
    )
    trivial = Tally()
    stop = time.monotonic() + WARM_UP_SECONDS + seconds
    trivial_elapsed = await _run(
        [_trivial(port, trivial, stop) for _ in range(clients)], seconds, trivial
    )
    result = {
        "clients": clients,
        "writes": _summary(writes, elapsed),
        "trivial": _summary(trivial, trivial_elapsed),
    }
    result["ratio"] = result["writes"]["per_second"] / result["trivial"]["per_second"]
    return result


def measure(url: str, *, clients: int, seconds: float, log_dir: Path) -> dict:
    """Serve the database with two workers and measure writes against GET /healthz."""
    engine = make_engine(url)
    with engine.connect() as connection:
        chairs = list(connection.execute(text("SELECT code FROM chair ORDER BY code")).scalars())
        patients = list(
            connection.execute(
                text(
                    "SELECT p.id FROM patient p WHERE p.status = 'active' AND EXISTS "
                    "(SELECT 1 FROM regimen r WHERE r.patient_id = p.id) ORDER BY p.id"
                )
            ).scalars()
        )
    engine.dispose()
    if len(chairs) < clients:
        raise SystemExit(f"need a chair per client: {len(chairs)} chairs, {clients} clients")
    with Server(url, workers=2, log_dir=log_dir) as server:
        return asyncio.run(_measure(server.port, chairs, patients, clients, seconds))


def main() -> None:
    """Measure from the command line and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = measure(args.url, clients=args.clients, seconds=args.seconds, log_dir=Path(folder))
    w, t = result["writes"], result["trivial"]
    print(
        f"writes: {w['per_second']:.0f}/s {w['by_kind']} failed {w['failed']} "
        f"p50 {w['latency_p50_ms']:.0f} ms p95 {w['latency_p95_ms']:.0f} ms"
    )
    print(f"GET /healthz: {t['per_second']:.0f}/s; writes are {result['ratio']:.2f} of it")


if __name__ == "__main__":
    main()
