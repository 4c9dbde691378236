"""A real server for the benchmarks: gunicorn with uvicorn workers, as deployed, on loopback.

The deployment's own gunicorn.conf.py is used, with the bind address and the worker count
given here, worker recycling off (a restart in the middle of a ten-second run would be
measured as a stall) and the access log written to a file.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class Server:
    """A running gunicorn; stop() ends it and its workers."""

    def __init__(
        self,
        url: str,
        *,
        workers: int = 2,
        log_dir: Path,
        root: Path = ROOT,
        env: dict[str, str] | None = None,
    ) -> None:
        # root: the checkout to serve (its own .venv and deploy/), for comparing versions;
        # gunicorn puts its working directory first on sys.path, so the app is imported
        # from there whatever PYTHONPATH says.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": url,
            "TRACKER_SECRET_KEY": secrets.token_urlsafe(48),
            "TRACKER_ENV": "production",
            "TRACKER_TIMEZONE": "UTC",
            "TRACKER_MAIL_BACKEND": "log",
            "TRACKER_BASE_URL": f"http://127.0.0.1:{self.port}",
            **(env or {}),
        }
        self.log = log_dir / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen(
            [
                str(root / ".venv" / "bin" / "gunicorn"),
                "-c",
                str(root / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--max-requests",
                "0",
                "--access-logfile",
                str(self.log),
                "--error-logfile",
                str(self.log),
            ],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready(workers)

    def _wait_ready(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    # Every worker imports the app on its own: give the last one a moment.
                    time.sleep(1.0 + 0.5 * workers)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        """Stop gunicorn (it stops its workers) and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
