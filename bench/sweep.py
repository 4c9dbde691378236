"""The sweep as the site runs it: the real `tracker sweep` command, each run its own process.

    .venv/bin/python bench/sweep.py verify --url URL --on DAY [--sample 2000]

`Tracker` runs `.venv/bin/tracker` against one bench database with the deployment's kind of
settings (production, log mail, UTC) through bench/measure.py: wall time, the process's CPU
and peak memory, and on PostgreSQL the CPU of its database backends (found by the
application_name the URL gives the command's connections).

- `full(day)`: `tracker sweep --full --on DAY`, every patient re-evaluated;
- `daily(day)`: `tracker sweep --on DAY`, the daily run (incremental where the command has
  `--full`: only the patients whose facts or dates call for it);
- `verify(day)`: `tracker sweep --verify --sample N --on DAY`, stored states against the
  full evaluation (non-zero exit on a difference);
- `profile(...)`: the same command under cProfile, its top functions by cumulative time.

A command without `--full` (before the incremental sweep) sweeps everyone every time; then
both runs are that, and `verify` falls back to the check below, run in this process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PYTHON = sys.executable
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PROFILE_LINES = 30


def tracker_env(url: str, workdir: Path, app: str = "bench") -> dict[str, str]:
    """The settings the tracker's commands run with against a bench database."""
    if url.startswith("postgresql"):
        url += ("&" if "?" in url else "?") + f"application_name={app}"
    return {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_SECRET_KEY": SECRET,
        "TRACKER_ENV": "production",
        "TRACKER_TIMEZONE": "UTC",
        "TRACKER_MAIL_BACKEND": "log",
        "TRACKER_BASE_URL": "https://bench.invalid",
        "TRACKER_AUDIT_CHECKPOINT_FILE": str(workdir / "audit-checkpoints"),
    }


@dataclass
class Tracker:
    """The tracker's command line against one bench database."""

    url: str
    workdir: Path

    def __post_init__(self) -> None:
        self.postgres = self.url.startswith("postgresql")
        self.runs = 0
        shown = subprocess.run(
            [str(BIN / "tracker"), "sweep", "--help"],
            env=tracker_env(self.url, self.workdir),
            capture_output=True,
            text=True,
            cwd=self.workdir,
        ).stdout
        self.has_full = "--full" in shown
        self.has_verify = "--verify" in shown

    def measured(
        self, argv: list[str], name: str, *, check: bool = True, env: dict | None = None
    ) -> dict:
        """Run a command (argv after the program) through bench/measure.py; its figures
        (`env`: settings of its own on top of the tracker's)."""
        self.runs += 1
        app = f"bench-{name}-{self.runs}"
        stem = self.workdir / f"{name}-{self.runs}"
        out = stem.with_suffix(".json")
        command = [
            PYTHON,
            str(ROOT / "bench" / "measure.py"),
            "--out",
            str(out),
            "--stdout",
            str(stem.with_suffix(".out")),
            "--stderr",
            str(stem.with_suffix(".err")),
        ]
        if self.postgres and name != "floor":
            command += ["--postgres", self.url, "--app", app]
        subprocess.run(
            [*command, "--", *argv],
            env={**tracker_env(self.url, self.workdir, app), **(env or {})},
            cwd=self.workdir,
            check=True,
        )
        result = json.loads(out.read_text())
        result["output"] = stem.with_suffix(".err").read_text()[-2000:]
        if check and result["returncode"]:
            raise RuntimeError(
                f"{' '.join(argv)} exited {result['returncode']}:\n{result['output']}"
            )
        result["load_average"] = os.getloadavg()[0]
        return result

    def sweep_args(self, day: date, *, full: bool) -> list[str]:
        """`sweep` and its options for a full or a daily run."""
        return ["sweep", *(["--full"] if full and self.has_full else []), "--on", day.isoformat()]

    def full(self, day: date) -> dict:
        """`tracker sweep --full --on DAY`, measured."""
        return self.measured([str(BIN / "tracker"), *self.sweep_args(day, full=True)], "full")

    def daily(self, day: date) -> dict:
        """`tracker sweep --on DAY` (the daily run), measured."""
        return self.measured([str(BIN / "tracker"), *self.sweep_args(day, full=False)], "daily")

    def verify(self, day: date, sample: int) -> dict:
        """Stored states against the full evaluation: {checked, differing, ok, how}."""
        if self.has_verify:
            argv = [str(BIN / "tracker"), "sweep", "--verify", "--sample", str(sample)]
            result = self.measured([*argv, "--on", day.isoformat()], "verify", check=False)
            return {
                "how": "tracker sweep --verify",
                "ok": result["returncode"] == 0,
                "seconds": result["seconds"],
                "output": result["output"],
            }
        argv = [PYTHON, str(ROOT / "bench" / "sweep.py"), "verify", "--url", self.url]
        result = self.measured([*argv, "--on", day.isoformat(), "--sample", str(sample)], "verify")
        found = json.loads((self.workdir / f"verify-{self.runs}.out").read_text())
        return {"how": "bench/sweep.py verify", "ok": found["differing"] == 0, **found}

    def profile(self, day: date, *, full: bool) -> str:
        """The sweep under cProfile: its top functions by cumulative time, as text."""
        prof = self.workdir / f"sweep-{'full' if full else 'daily'}.prof"
        argv = [PYTHON, "-m", "cProfile", "-o", str(prof), "-m", "tracker.cli"]
        # In one process: cProfile sees the reading and the evaluation, which the timed
        # sweeps leave to their worker processes.
        self.measured(
            [*argv, *self.sweep_args(day, full=full)],
            "profile",
            env={"TRACKER_SWEEP_PROCESSES": "1"},
        )
        return profile_text(prof)


def profile_text(path: Path, lines: int = PROFILE_LINES) -> str:
    """The top functions of a cProfile file by cumulative time: the tracker's own and its
    database drivers' (not the interpreter's start-up and the CLI's wrappers), paths short."""
    buffer = io.StringIO()
    stats = pstats.Stats(str(path), stream=buffer)
    stats.sort_stats("cumulative").print_stats(r"/tracker/|sqlalchemy|psycopg|sqlite3", lines)
    text = buffer.getvalue()
    total = next((line.strip() for line in text.splitlines() if "function calls" in line), "")
    table = text[text.find("   ncalls") :] if "   ncalls" in text else text
    table = table.replace(str(ROOT) + "/", "")
    table = re.sub(r"\S*/site-packages/", "", table)
    return f"{total}\n\n{table.rstrip()}"


def verify_in_process(url: str, today: date, sample: int) -> dict:
    """Compare stored states with the full evaluation for every n-th patient (for a
    `tracker sweep` without --verify)."""
    from sqlmodel import select

    from tracker.rules import evaluate
    from tracker.services.evaluation import load_facts
    from tracker.services.policy import load_policy
    from tracker.services.state_rows import state_values
    from tracker.store.engine import make_engine, session_scope
    from tracker.store.models import Patient, PatientState

    checked = differing = 0
    engine = make_engine(url)
    with session_scope(engine, write=False) as session:
        policy = load_policy(session)
        ids = list(session.exec(select(Patient.id).order_by(Patient.id)))
        step = max(1, len(ids) // sample)
        for start in range(0, len(ids), step * 100):
            chosen = ids[start : start + step * 100 : step]
            patients = session.exec(select(Patient).where(Patient.id.in_(chosen))).all()
            facts = load_facts(session, patients)
            stored = {
                s.patient_id: s.model_dump(exclude={"evaluated_at"})
                for s in session.exec(
                    select(PatientState).where(PatientState.patient_id.in_(chosen))
                )
            }
            for patient in patients:
                full = evaluate(facts[patient.id], on=today, policy=policy)
                expected = state_values(patient.id, full, facts[patient.id].courses)
                checked += 1
                differing += stored.get(patient.id) != expected
            session.expunge_all()
    return {"checked": checked, "differing": differing}


def main() -> None:
    """`verify`: the in-process check, one JSON line on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("verify",))
    parser.add_argument("--url", required=True)
    parser.add_argument("--on", type=date.fromisoformat, required=True)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(verify_in_process(args.url, args.on, args.sample)))


if __name__ == "__main__":
    main()
