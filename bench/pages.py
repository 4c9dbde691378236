"""Time the worklist and a patient page over HTTP from a real server.

    .venv/bin/python bench/pages.py --url URL [--requests 200] [--patient ID]

Against a database built by bench/cohort.py: serves it with gunicorn (two workers, the
deployment's settings), logs eight clients in through the login form, and for each page
alternates rounds of one client fetching it one request at a time and of eight clients
fetching it at once (the same number of requests in each round), reporting each round's
p50 and p95 round trip, and the page size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.client import Connection, page_login  # noqa: E402
from bench.cohort import BENCH_PASSWORD, BENCH_USER  # noqa: E402
from bench.server import Server  # noqa: E402

# (name, path): the worklist's first page, a filtered page (a tab), a search.
WORKLIST_PAGES = (
    ("worklist, first page", "/"),
    ("worklist, filtered (needs booking)", "/?view=needs_booking"),
    ("worklist, search by name", "/?q=smith"),
)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of the values, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def _fetch(connection: Connection, path: str, count: int, trips: list[float]) -> None:
    for _ in range(count):
        answer = await connection.request("GET", path)
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status}")
        trips.append(answer.seconds * 1000)


def summary(trips: list[float]) -> dict:
    """p50 and p95 of one round's round trips, in ms."""
    return {
        "requests": len(trips),
        "p50_ms": statistics.median(trips),
        "p95_ms": percentile(trips, 95),
    }


async def time_pages(
    port: int, long_patient_id: int, *, rounds: int, requests: int, clients: tuple[int, ...]
) -> dict[str, dict]:
    """Each page fetched by one client, then by eight at once, and again, `rounds` times
    (interleaved, so that a noisy moment hits both); p50/p95 of each round."""
    connections = [Connection("127.0.0.1", port) for _ in range(max(clients))]
    for connection in connections:
        await page_login(connection, BENCH_USER, BENCH_PASSWORD)
    pages = [*WORKLIST_PAGES, ("patient page, 10 years", f"/patients/{long_patient_id}")]
    timings: dict[str, dict] = {}
    for name, path in pages:
        await _fetch(connections[0], path, 5, [])  # warm-up (each worker's caches)
        page = timings[name] = {"path": path, **{f"clients_{n}": [] for n in clients}}
        for _round in range(rounds):
            for n in clients:
                trips: list[float] = []
                # The same number of requests per round whatever the clients: each of n
                # clients makes its share, all at once.
                share = max(1, requests // n)
                await asyncio.gather(*(_fetch(c, path, share, trips) for c in connections[:n]))
                page[f"clients_{n}"].append(summary(trips))
        answer = await connections[0].request("GET", path)
        page["bytes"] = len(answer.body)
    for connection in connections:
        connection.close()
    return timings


def measure(
    url: str,
    long_patient_id: int,
    *,
    rounds: int,
    requests: int,
    log_dir: Path,
    clients: tuple[int, ...] = (1, 8),
) -> dict[str, dict]:
    """Serve the database with two workers and time its pages."""
    with Server(url, workers=2, log_dir=log_dir) as server:
        return asyncio.run(
            time_pages(
                server.port, long_patient_id, rounds=rounds, requests=requests, clients=clients
            )
        )


def main() -> None:
    """Time the pages of an existing bench database and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--patient",
        type=int,
        required=True,
        help="the patient with 10 years of history (bench/cohort.py says)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="per page, round and mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        timings = measure(
            args.url, args.patient, rounds=args.rounds, requests=args.requests, log_dir=Path(folder)
        )
    for name, page in timings.items():
        for key in ("clients_1", "clients_8"):
            p95 = sorted(r["p95_ms"] for r in page[key])
            middle = statistics.median(p95)
            print(f"{name:38} {key:10} p95 min {p95[0]:6.1f} ms median {middle:6.1f} ms")


if __name__ == "__main__":
    main()
