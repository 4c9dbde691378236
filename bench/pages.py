"""Server time of the worklist and a patient page on the demo cohort, over a real server.

    .venv/bin/python bench/pages.py [--patients 40] [--requests 200]

Loads the demo cohort into a fresh SQLite file, serves the app with uvicorn on loopback and
times pages from a client, reporting p50/p95 of the server's own time (Server-Timing) and
of the round trip.
"""

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.demo import load_demo  # noqa: E402
from tracker.services.evaluation import refresh_all  # noqa: E402
from tracker.services.passwords import hash_password  # noqa: E402
from tracker.settings import Settings  # noqa: E402
from tracker.store import migrate  # noqa: E402
from tracker.store.engine import make_engine, session_scope  # noqa: E402
from tracker.store.models import Infusion, StaffUser  # noqa: E402
from tracker.web.app import create_app  # noqa: E402

PASSWORD = "benchmark password 123"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of the values, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def serve(engine, url: str) -> tuple[str, uvicorn.Server]:
    """Start uvicorn on a free loopback port in a thread."""
    settings = Settings(env="test", secret_key="bench-secret-0123456789abcdefghijk",
                        database_url=url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server


def log_in(client: httpx.Client) -> None:
    """Log in through the login form."""
    form = client.get("/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD,
                                         "next": "/", "login_csrf": token})
    answer.raise_for_status()


def measure(client: httpx.Client, path: str, requests: int) -> dict:
    """Time `requests` GETs of a page: server time and round trip, in ms."""
    client.get(path).raise_for_status()  # warm caches and templates
    server, round_trip = [], []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        round_trip.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        server.append(float(answer.headers["server-timing"].split("dur=")[1]))
    return {"path": path, "server_p50": statistics.median(server),
            "server_p95": percentile(server, 95), "trip_p50": statistics.median(round_trip),
            "trip_p95": percentile(round_trip, 95), "bytes": len(answer.content)}


def main() -> None:
    """Build the cohort, serve it, time the pages, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            load_demo(session, patients=args.patients, seed=1, today=today, zone="UTC")
            refresh_all(session, today=today)
            session.add(StaffUser(username="bench", role="viewer",
                                  password_hash=hash_password(PASSWORD)))
        with session_scope(engine, write=False) as session:
            from sqlalchemy import func
            from sqlmodel import select

            busiest = session.exec(
                select(Infusion.patient_id, func.count()).group_by(Infusion.patient_id)
                .order_by(func.count().desc()).limit(1)).one()
        base, server = serve(engine, url)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            log_in(client)
            rows = [measure(client, path, args.requests) for path in (
                "/", "/?view=needs_booking", f"/patients/{busiest[0]}")]
        server.should_exit = True
        print(f"demo cohort: {args.patients} patients; patient page of the busiest patient "
              f"({busiest[1]} courses); {args.requests} requests each, SQLite, one client")
        print(f"{'page':28} {'server p50':>11} {'server p95':>11} {'trip p50':>9} "
              f"{'trip p95':>9} {'KiB':>6}")
        for r in rows:
            print(f"{r['path']:28} {r['server_p50']:9.1f}ms {r['server_p95']:9.1f}ms "
                  f"{r['trip_p50']:7.1f}ms {r['trip_p95']:7.1f}ms {r['bytes'] / 1024:6.0f}")


if __name__ == "__main__":
    main()
