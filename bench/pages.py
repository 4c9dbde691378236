"""Time the worklist and a patient page over HTTP from a real server.

    .venv/bin/python bench/pages.py --url URL [--requests 200] [--patient ID]

Against a database built by bench/cohort.py: serves it with gunicorn (two workers, the
deployment's settings), logs in through the login form and fetches each page one request
at a time, reporting p50/p95 of the app's own time (the Server-Timing header) and of the
round trip, and the page size.
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


async def time_page(connection: Connection, path: str, requests: int) -> dict:
    """Fetch a page `requests` times after a few warm-ups; server and round-trip times."""
    for _ in range(5):
        answer = await connection.request("GET", path)
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status}")
    server, trip = [], []
    for _ in range(requests):
        answer = await connection.request("GET", path)
        server.append(answer.server_ms)
        trip.append(answer.seconds * 1000)
    return {
        "path": path,
        "requests": requests,
        "bytes": len(answer.body),
        "server_p50_ms": statistics.median(server),
        "server_p95_ms": percentile(server, 95),
        "trip_p50_ms": statistics.median(trip),
        "trip_p95_ms": percentile(trip, 95),
    }


async def time_pages(port: int, long_patient_id: int, requests: int) -> dict[str, dict]:
    """The worklist pages and the long patient's page, timed one request at a time."""
    connection = Connection("127.0.0.1", port)
    await page_login(connection, BENCH_USER, BENCH_PASSWORD)
    pages = [*WORKLIST_PAGES, ("patient page, 10 years", f"/patients/{long_patient_id}")]
    timings = {}
    for name, path in pages:
        timings[name] = await time_page(connection, path, requests)
    connection.close()
    return timings


def measure(url: str, long_patient_id: int, requests: int, log_dir: Path) -> dict[str, dict]:
    """Serve the database and time its pages."""
    with Server(url, workers=2, log_dir=log_dir) as server:
        return asyncio.run(time_pages(server.port, long_patient_id, requests))


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
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        timings = measure(args.url, args.patient, args.requests, Path(folder))
    print(f"{'page':38} {'server p50':>10} {'p95':>8} {'trip p50':>9} {'p95':>8} {'KiB':>6}")
    for name, t in timings.items():
        print(
            f"{name:38} {t['server_p50_ms']:8.1f}ms {t['server_p95_ms']:6.1f}ms "
            f"{t['trip_p50_ms']:7.1f}ms {t['trip_p95_ms']:6.1f}ms {t['bytes'] / 1024:6.0f}"
        )


if __name__ == "__main__":
    main()
