"""`tracker import csv`, `tracker export csv` and `tracker export fhir`, run as a user runs
them."""

import json

import pytest
from sqlmodel import select

from tests.cli.test_cli import tracker
from tests.interop.csv_files import TODAY, caseload, write_files
from tracker.store import migrate
from tracker.store.engine import make_engine, session_scope
from tracker.store.models import Patient, Weight


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)  # what `tracker db upgrade` does (tested on its own), minus a process
    return url


def _count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        with session_scope(engine, write=False) as session:
            return len(session.exec(select(model.id)).all())
    finally:
        engine.dispose()


def test_a_bad_line_is_named_and_nothing_of_its_file_is_written(db_url, tmp_path):
    files = caseload()
    files["weights"][1]["weight_kg"] = "0"
    folder = write_files(tmp_path / "in", files)
    result = tracker("import", "csv", str(folder), "--on", TODAY.isoformat(), env_url=db_url)
    assert result.returncode == 1
    assert "weights.csv:3: weight_kg: Input should be greater than 2" in result.stderr
    assert "regimens.csv: 0 rows, skipped" in result.stderr
    assert (_count(db_url, Patient), _count(db_url, Weight)) == (2, 0)


def test_dry_run_then_import_then_export_both_formats(db_url, tmp_path):
    folder = write_files(tmp_path / "in", caseload())
    day = TODAY.isoformat()
    dry = tracker("import", "csv", str(folder), "--dry-run", "--on", day, env_url=db_url)
    assert dry.returncode == 0, dry.stderr
    assert "courses.csv: 7 rows, checked" in dry.stderr
    assert _count(db_url, Patient) == 0
    real = tracker(
        "import", "csv", *(str(p) for p in sorted(folder.iterdir())), "--on", day, env_url=db_url
    )
    assert real.returncode == 0, real.stderr
    assert "scores.csv: 3 rows, imported" in real.stderr
    out = tmp_path / "out"
    exported = tracker("export", "csv", "--out", str(out), env_url=db_url)
    assert exported.returncode == 0, exported.stderr
    for kind, rows in caseload().items():
        assert (out / f"{kind}.csv").read_text().count("\n") == len(rows) + 1
    fhir = tmp_path / "fhir"
    result = tracker("export", "fhir", "--out", str(fhir), "--on", day, env_url=db_url)
    assert result.returncode == 0, result.stderr
    patients = [json.loads(line) for line in (fhir / "Patient.ndjson").read_text().splitlines()]
    assert sorted(p["identifier"][0]["value"] for p in patients) == ["CSV-1", "CSV-2"]
    assert len((fhir / "Appointment.ndjson").read_text().splitlines()) == 7


def test_unknown_files_and_missing_paths_are_refused(db_url, tmp_path):
    stray = tmp_path / "people.csv"
    stray.write_text("mrn\n")
    result = tracker("import", "csv", str(stray), env_url=db_url)
    assert result.returncode == 2 and "people.csv: not one of patients.csv" in result.stderr
    result = tracker("import", "csv", str(tmp_path / "nowhere"), env_url=db_url)
    assert result.returncode == 2 and "does not exist" in result.stderr
