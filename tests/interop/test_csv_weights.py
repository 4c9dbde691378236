"""weights.csv keeps the API's 10% rule: a jump is refused unless its row confirms it, and an
export marks the jumps it holds so that reading it back keeps them."""

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import select

from tests.interop.csv_files import TODAY, d, errors, import_folder, savepoint, source
from tracker.formats.display import date_text
from tracker.interop.csv.export import write_caseload
from tracker.interop.csv.importer import run_import
from tracker.services.actors import SYSTEM
from tracker.store.models import Patient, Weight

PATIENTS = "mrn,given_name,family_name,birth_date,sex,height_cm\nJ-1,Jo,Jump,1960-01-01,male,180\n"


def _import(session, weights: str, *, dry_run=True):
    return run_import(
        [source("patients", PATIENTS), source("weights", weights)],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=dry_run,
    )


def test_a_jump_is_refused_with_the_api_message(session):
    report = _import(session, f"mrn,measured_on,weight_kg\nJ-1,{d(-60)},70\nJ-1,{d(-30)},154\n")
    (error,) = report.files[1].errors
    assert (error.file, error.line, error.field) == ("weights.csv", 3, "weight_kg")
    previous_on = date_text(TODAY - timedelta(days=60))
    assert error.message.startswith(f"154 kg is 120% more than 70 kg on {previous_on}")


def test_a_confirmed_jump_and_a_same_day_previous_are_kept(session):
    report = _import(
        session,
        "mrn,measured_on,weight_kg,confirm_weight_change\n"
        f"J-1,{d(-60)},70,\nJ-1,{d(-30)},154,true\nJ-1,{d(-30)},150,\n",
        dry_run=False,
    )
    assert report.ok, errors(report)
    kept = session.exec(select(Weight.weight_kg).order_by(Weight.id)).all()
    assert kept[-3:] == [70, 154, 150]


def test_an_export_marks_its_jumps_and_reads_back_in(session, tmp_path):
    assert _import(
        session,
        "mrn,measured_on,weight_kg,confirm_weight_change\n"
        f"J-1,{d(-60)},70,\nJ-1,{d(-30)},154,true\n",
        dry_run=False,
    ).ok
    write_caseload(session, tmp_path / "out")
    text = (tmp_path / "out" / "weights.csv").read_text()
    assert text.splitlines()[0] == "mrn,measured_on,weight_kg,confirm_weight_change"
    assert text.splitlines()[1].endswith(",70,") and text.splitlines()[2].endswith(",true")
    session.execute(delete(Patient))
    assert import_folder(session, tmp_path / "out").ok
