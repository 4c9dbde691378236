"""A small caseload as CSV files, and a savepoint per file like the import page uses."""

import csv
import io
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from tracker.interop.csv.importer import CsvSource, ImportReport, run_import, sources_from_paths
from tracker.interop.csv.layout import COLUMNS
from tracker.services.actors import SYSTEM

TODAY = date(2026, 3, 1)


def d(days: int) -> str:
    """The day `days` after TODAY (negative: before), as ISO text."""
    return (TODAY + timedelta(days=days)).isoformat()


def caseload() -> dict[str, list[dict]]:
    """Two patients with weights, a regimen, given, booked, cancelled and missed courses,
    and scores (one linked to its course)."""
    return {
        "patients": [
            {
                "mrn": "CSV-1",
                "given_name": "Ann",
                "family_name": "Lee",
                "birth_date": "1961-05-06",
                "sex": "female",
                "height_cm": "165",
                "email": "ann@example.org",
                "reminder_consent": "true",
            },
            {
                "mrn": "CSV-2",
                "given_name": "Bo",
                "family_name": "Park",
                "birth_date": "1958-11-30",
                "sex": "male",
                "height_cm": "180",
                "status": "on_hold",
            },
        ],
        "weights": [
            {"mrn": "CSV-1", "measured_on": d(-120), "weight_kg": "70"},
            {"mrn": "CSV-2", "measured_on": d(-120), "weight_kg": "80"},
            {"mrn": "CSV-1", "measured_on": d(-30), "weight_kg": "71.5"},
        ],
        "regimens": [
            {
                "mrn": "CSV-1",
                "starts_on": d(-84),
                "dose_g_per_kg": "1",
                "interval_days": "28",
                "product_code": "privigen",
                "reason": "maintenance",
            },
            {
                "mrn": "CSV-2",
                "starts_on": d(-84),
                "dose_g_per_kg": "2",
                "interval_days": "28",
                "product_code": "gammagard",
                "reason": "started",
            },
        ],
        "courses": [
            {
                "mrn": "CSV-1",
                "scheduled_on": d(-84),
                "status": "given",
                "dose_g": "70",
                "lots": "P100:7:10:" + d(200),
                "reactions": "headache",
            },
            {
                "mrn": "CSV-1",
                "scheduled_on": d(-56),
                "status": "given",
                "dose_g": "70",
                "lots": "P100:5:10;P101:2:10",
                "chair": "C1",
                "start_time": "09:30",
            },
            {"mrn": "CSV-1", "scheduled_on": d(-28), "status": "missed"},
            {
                "mrn": "CSV-1",
                "scheduled_on": d(-27),
                "status": "given",
                "dose_g": "70",
                "lots": "P102:7",
            },
            {
                "mrn": "CSV-1",
                "scheduled_on": d(2),
                "status": "cancelled",
                "cancel_reason": "unwell",
            },
            {
                "mrn": "CSV-1",
                "scheduled_on": d(1),
                "status": "booked",
                "chair": "C2",
                "start_time": "10:00",
            },
            {
                "mrn": "CSV-2",
                "scheduled_on": d(-84),
                "status": "given",
                "dose_g": "160",
                "days": "2",
                "lots": "G7:8:20",
            },
        ],
        "scores": [
            {
                "mrn": "CSV-1",
                "taken_on": d(-84),
                "measure": "grip_vigorimeter",
                "side": "right",
                "value": "42",
                "timing": "pre_infusion",
                "course_on": d(-84),
            },
            {
                "mrn": "CSV-1",
                "taken_on": d(-80),
                "measure": "grip_vigorimeter",
                "side": "right",
                "value": "55",
                "timing": "post_infusion",
            },
            {
                "mrn": "CSV-2",
                "taken_on": d(-84),
                "measure": "incat",
                "value": "3",
                "timing": "clinic",
            },
        ],
        "authorizations": [
            {
                "mrn": "CSV-1",
                "payer": "NHS England",
                "reference": "=PA-1",
                "starts_on": d(-90),
                "ends_on": d(270),
                "approved_g": "840",
                "approved_courses": "12",
            },
            {
                "mrn": "CSV-2",
                "payer": "Aetna",
                "reference": "AE-2",
                "starts_on": d(-30),
                "ends_on": d(60),
            },
        ],
    }


def write_files(folder: Path, files: dict[str, list[dict]]) -> Path:
    """Write each kind's rows as KIND.csv with every column; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, rows in files.items():
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS[kind])
        writer.writeheader()
        writer.writerows(rows)
        (folder / f"{kind}.csv").write_text(out.getvalue(), encoding="utf-8")
    return folder


@contextmanager
def savepoint(session):
    """One file's unit of work inside the test's transaction."""
    with session.begin_nested():
        yield session


def import_folder(
    session, folder: Path, *, dry_run: bool = False, today: date = TODAY, progress=None
) -> ImportReport:
    """Import the CSV files of a folder as the CLI does, one unit of work per file."""
    return run_import(
        sources_from_paths([folder]),
        file_scope=lambda: savepoint(session),
        today=today,
        actor=SYSTEM,
        dry_run=dry_run,
        progress=progress,
    )


def errors(report: ImportReport) -> list[tuple[str, int, str]]:
    """Every error as (file, line, column)."""
    return [(e.file, e.line, e.field) for f in report.files for e in f.errors]


def source(kind: str, text: str) -> CsvSource:
    """An in-memory file of a kind (as an upload would be)."""
    return CsvSource(name=f"{kind}.csv", kind=kind, stream=io.BytesIO(text.encode()))
