"""Running `tracker` commands as real processes against the test database."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXED_WIDTH

REPO = Path(__file__).resolve().parents[2]


def tracker_env(database_url: str, smtp_port: int, **settings: str | int) -> dict[str, str]:
    """The environment for a tracker process: this database, the loopback SMTP server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(FIXED_WIDTH)
    env.update(
        {
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_SECRET_KEY": "test-secret-key-for-the-suite-0123456789",
            "TRACKER_ENV": "test",
            "TRACKER_TIMEZONE": "Europe/London",
            "TRACKER_SMTP_HOST": "127.0.0.1",
            "TRACKER_SMTP_PORT": str(smtp_port),
            "TRACKER_MAIL_FROM": "infusions@hospital.example",
            "TRACKER_SMTP_TIMEOUT_SECONDS": "10",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update({f"TRACKER_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def start_tracker(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `tracker ARGS...` in the background, its output going to `log`."""
    # cwd elsewhere, so that a developer's .env in the checkout is not read.
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", *args],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run_tracker(
    args: list[str], env: dict[str, str], log: Path, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """Run `tracker ARGS...` to the end (`stdin` fed to it); fails the test on a non-zero exit."""
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "tracker.cli", *args],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            input=stdin.encode() if stdin else None,
        )
    assert done.returncode == 0, log.read_text()[-3000:]
    return done


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL: no clean-up, no lock released, like a power cut to the process."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM and wait for a clean exit; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout)
