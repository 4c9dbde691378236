"""CSV import: every row checked like the API checks it, each file all or nothing, every
error named by file, line and column, and the export reads back in unchanged."""

import filecmp
from datetime import date, time

import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from tests.interop.csv_files import (
    TODAY,
    caseload,
    d,
    errors,
    import_folder,
    savepoint,
    source,
    write_files,
)
from tracker.demo import load_demo
from tracker.interop.csv.export import write_caseload
from tracker.interop.csv.importer import run_import
from tracker.interop.csv.layout import KINDS
from tracker.services import infusions as infusion_service
from tracker.services.actors import SYSTEM
from tracker.services.evaluation import refresh_all
from tracker.store.models import (
    Assessment,
    AuditEvent,
    FundingAuthorization,
    Infusion,
    InfusionLot,
    Patient,
    PatientState,
    Product,
    Regimen,
    Weight,
)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_caseload_imports_whole_and_its_patients_are_evaluated(session, tmp_path):
    seen = []
    report = import_folder(
        session, write_files(tmp_path, caseload()), progress=lambda *args: seen.append(args)
    )
    assert report.ok, errors(report)
    assert [(f.name, f.rows, f.outcome) for f in report.files] == [
        ("patients.csv", 2, "imported"),
        ("weights.csv", 3, "imported"),
        ("regimens.csv", 2, "imported"),
        ("courses.csv", 7, "imported"),
        ("scores.csv", 3, "imported"),
        ("authorizations.csv", 2, "imported"),
    ]
    ann = session.exec(select(Patient).where(Patient.mrn == "CSV-1")).one()
    bo = session.exec(select(Patient).where(Patient.mrn == "CSV-2")).one()
    assert (ann.email, ann.reminder_consent, bo.status) == ("ann@example.org", True, "on_hold")
    regimen = session.exec(select(Regimen).where(Regimen.patient_id == bo.id)).one()
    # Bo: 2 g/kg of 80 kg (BMI 24.7, actual weight) is 160 g, calculated as the API does.
    assert (regimen.dose_g, regimen.dosing_weight_kg, regimen.weight_basis_used) == (
        160,
        80,
        "actual",
    )
    courses = session.exec(
        select(Infusion).where(Infusion.patient_id == ann.id).order_by(Infusion.scheduled_on)
    ).all()
    assert [c.status for c in courses] == [
        "given",
        "given",
        "missed",
        "given",
        "booked",
        "cancelled",
    ]
    assert all(c.regimen_id is not None for c in courses)
    assert courses[0].reactions == "headache" and courses[-1].cancel_reason == "unwell"
    lots = session.exec(
        select(InfusionLot.lot_number, InfusionLot.vials)
        .where(InfusionLot.infusion_id == courses[1].id)
        .order_by(InfusionLot.id)
    ).all()
    assert lots == [("P100", 5), ("P101", 2)]
    linked = session.exec(select(Assessment).where(Assessment.infusion_id.is_not(None))).one()
    assert linked.infusion_id == courses[0].id and linked.value == 42
    # Every patient was evaluated after the import: the state knows the booking.
    state = session.get(PatientState, ann.id)
    assert state.next_booking_on == TODAY.replace(day=2) and state.regimen_id is not None
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("patient.create") == 2
    assert actions.count("import.file") == 6
    assert actions.count("import.courses") == 2
    assert actions.count("import.authorizations") == 2
    funded = session.exec(
        select(FundingAuthorization).where(FundingAuthorization.patient_id == ann.id)
    ).one()
    # A reference that looks like a formula is kept as it was typed.
    assert (funded.reference, funded.approved_g, funded.approved_courses) == ("=PA-1", 840, 12)
    # Progress counts the rows of all files: at each file's start and end.
    assert seen[0] == ("patients.csv", 0, 19) and seen[-1] == ("authorizations.csv", 19, 19)
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


def test_one_bad_line_imports_nothing_from_its_file_and_names_the_line(session, tmp_path):
    files = caseload()
    files["weights"][1]["weight_kg"] = "0"  # line 3 of weights.csv
    report = import_folder(session, write_files(tmp_path, files))
    assert not report.ok
    outcomes = {f.name: f.outcome for f in report.files}
    assert outcomes == {
        "patients.csv": "imported",
        "weights.csv": "refused",
        "regimens.csv": "skipped",
        "courses.csv": "skipped",
        "scores.csv": "skipped",
        "authorizations.csv": "skipped",
    }
    (error,) = report.files[1].errors
    assert (error.file, error.line, error.field) == ("weights.csv", 3, "weight_kg")
    assert "greater than 2" in error.message
    # The patients file was whole and is kept; nothing of the weights file was written.
    assert count(session, Patient) == 2
    assert count(session, Weight) == 0
    assert count(session, Regimen) == 0


def test_dry_run_writes_nothing_and_reports_every_error_in_every_file(session, tmp_path):
    files = caseload()
    files["patients"][1]["birth_date"] = "1958-13-30"  # line 3
    files["patients"].append(
        {"mrn": "CSV-1", "given_name": "Dup", "family_name": "Licate", "birth_date": "1970-01-01"}
    )  # line 4: MRN used on line 2
    files["weights"].append({"mrn": "NOPE", "measured_on": d(-1), "weight_kg": "60"})
    files["regimens"][0]["dose_g_per_kg"] = "3"  # above the cap, no override reason
    files["courses"][5]["scheduled_on"] = d(-1)  # a booking in the past
    files["scores"][1]["side"] = ""  # grip needs a side
    report = import_folder(session, write_files(tmp_path, files), dry_run=True)
    # CSV-2's own line is refused, so its rows in the later files name an unknown MRN; the
    # rest of each file is checked against the rows before it that were good.
    assert errors(report) == [
        ("patients.csv", 3, "birth_date"),
        ("patients.csv", 4, "mrn"),
        ("weights.csv", 3, "mrn"),
        ("weights.csv", 5, "mrn"),
        ("regimens.csv", 2, "dose_g_per_kg"),
        ("regimens.csv", 3, "mrn"),
        ("courses.csv", 7, "scheduled_on"),
        ("courses.csv", 8, "mrn"),
        ("scores.csv", 3, "side"),
        ("scores.csv", 4, "mrn"),
        ("authorizations.csv", 3, "mrn"),  # CSV-2's patient row was refused
    ]
    assert all(f.outcome == "refused" for f in report.files)
    assert count(session, Patient) == 0
    messages = {(e.file, e.line): e.message for f in report.files for e in f.errors}
    # The MRN clashes with line 2 of the same file, not with a stored patient.
    assert messages[("patients.csv", 4)] == "MRN CSV-1 is on an earlier row of this file"
    assert messages[("regimens.csv", 2)].startswith("3.00 g/kg per 28 days is above the cap")
    assert messages[("courses.csv", 7)].startswith("a booking cannot be in the past")
    # A dry run is audited as one check, with each file's fingerprint.
    (check,) = session.exec(select(AuditEvent).where(AuditEvent.action == "import.check"))
    assert check.changes["files"]["patients.csv"]["errors"] == 2


@pytest.mark.parametrize(
    "kind,row,field,message",
    [
        (
            "scores",
            {
                "taken_on": d(-1),
                "measure": "grip_vigorimeter",
                "side": "left",
                "value": "250",
                "timing": "clinic",
            },
            "value",
            "between 0 and 200 kPa",
        ),
        (
            "scores",
            {"taken_on": d(-1), "measure": "pinch", "value": "3", "timing": "clinic"},
            "measure",
            "unknown measure 'pinch'",
        ),
        (
            "scores",
            {"taken_on": d(-1), "measure": "mrc_sum", "value": "40.5", "timing": "clinic"},
            "value",
            "MRC sum is a whole number",
        ),
        (
            "scores",
            {"taken_on": d(-1), "measure": "onls", "value": "2", "timing": "after lunch"},
            "timing",
            "",
        ),
        (
            "courses",
            {"scheduled_on": d(-5), "status": "given"},
            "dose_g",
            "dose_g is required when status is given",
        ),
        (
            "courses",
            {"scheduled_on": d(-5), "status": "given", "dose_g": "70", "lots": "L1:2:10"},
            "lots",
            "the lots hold 20 g, 50 g less than the 70 g given",
        ),
        (
            "courses",
            {"scheduled_on": d(-5), "status": "given", "dose_g": "70", "lots": "L1:7:10:" + d(-6)},
            "lots.0.expires_on",
            "expired on",
        ),
        (
            "courses",
            {"scheduled_on": d(5), "status": "given", "dose_g": "70"},
            "scheduled_on",
            "it must not be in the future",
        ),
        (
            "courses",
            {"scheduled_on": d(5), "status": "booked", "chair": "C9"},
            "chair",
            "unknown chair 'C9'",
        ),
        ("courses", {"scheduled_on": d(5), "status": "cancelled"}, "cancel_reason", ""),
        (
            "courses",
            {"scheduled_on": d(5), "status": "booked", "site": "home_nurse"},
            "nurse",
            "a home visit needs a nurse",
        ),
        (
            "courses",
            {"scheduled_on": d(5), "status": "booked", "site": "home_nurse", "nurse": "nobody"},
            "nurse",
            "'nobody' is not an active nurse",
        ),
        (
            "courses",
            {"scheduled_on": d(5), "status": "booked", "site": "self", "chair": "C1"},
            "chair",
            "(site self) has no chair",
        ),
        (
            "regimens",
            {
                "starts_on": d(-1),
                "dose_g_per_kg": "0.5",
                "interval_days": "10",
                "route": "sc",
            },
            "interval_days",
            "7 or 14",
        ),
        (
            "scores",
            {
                "taken_on": d(-1),
                "measure": "mrc_sum",
                "value": "40",
                "timing": "clinic",
                "source": "ward",
            },
            "source",
            "",
        ),
        (
            "courses",
            {"scheduled_on": d(5), "status": "booked", "lots": "L1:1"},
            "lots",
            "lots are recorded when the course is given",
        ),
        (
            "courses",
            {"scheduled_on": d(-5), "status": "given", "dose_g": "70", "lots": "L1:x"},
            "lots",
            "lot 1 vials",
        ),
        (
            "regimens",
            {"starts_on": d(0), "dose_g_per_kg": "0.5", "interval_days": "10"},
            "interval_days",
            "outside 14 to 42 days",
        ),
        (
            "regimens",
            {
                "starts_on": d(0),
                "dose_g_per_kg": "1",
                "interval_days": "28",
                "product_code": "snake-oil",
            },
            "product_code",
            "unknown product",
        ),
        (
            "weights",
            {"measured_on": d(3), "weight_kg": "70"},
            "measured_on",
            "it must not be in the future",
        ),
        (
            "scores",
            {
                "taken_on": d(-1),
                "measure": "incat",
                "value": "2",
                "timing": "clinic",
                "course_on": d(-2),
            },
            "course_on",
            "no course of MRN R-1 on",
        ),
        (
            "courses",
            {"scheduled_on": d(2), "status": "booked", "dose_g": "400"},
            "dose_g",
            "at most 200 g a day",
        ),
        (
            "patients",
            {"given_name": "Al", "family_name": "Z", "birth_date": "1960-01-01", "sex": "F"},
            "sex",
            "'female' or 'male'",
        ),
        (
            "patients",
            {
                "given_name": "Al",
                "family_name": "Z",
                "birth_date": "1960-01-01",
                "email": "not-an-address",
            },
            "email",
            "not a valid email address",
        ),
        # Issue 17.3: the implausible inputs the API refuses, refused here by the same rules.
        (
            "regimens",
            {"starts_on": "1900-01-01", "dose_g_per_kg": "1", "interval_days": "28"},
            "starts_on",
            "before the birth date 01 Jan 1960",
        ),
        (
            "regimens",
            {"starts_on": "2199-01-01", "dose_g_per_kg": "1", "interval_days": "28"},
            "starts_on",
            "more than 366 days ahead",
        ),
        (
            "regimens",
            {"starts_on": d(0), "dose_g_per_kg": "0.0001", "interval_days": "28"},
            "dose_g_per_kg",
            "below the lowest plausible dose",
        ),
        ("courses", {"scheduled_on": "2200-01-06", "status": "booked"}, "scheduled_on", "ahead"),
        (
            "courses",
            {"scheduled_on": "1900-01-02", "status": "given", "dose_g": "70", "lots": "L1:7:10"},
            "scheduled_on",
            "before the birth date",
        ),
        (
            "courses",
            {"scheduled_on": d(-5), "status": "given", "dose_g": "70"},
            "lots",
            "at least one lot",
        ),
        (
            "courses",
            {"scheduled_on": d(1), "status": "booked", "start_time": "03:00"},
            "start_time",
            "",
        ),
        (
            "courses",
            {"scheduled_on": d(6), "status": "booked"},
            "scheduled_on",
            "closed on Saturdays",
        ),
        ("weights", {"measured_on": d(0), "weight_kg": "7"}, "weight_kg", "at least 25 kg"),
        ("weights", {"measured_on": "1959-12-31", "weight_kg": "70"}, "measured_on", "birth"),
        (
            "authorizations",
            {"payer": "Aetna", "reference": "A1", "starts_on": d(10), "ends_on": d(0)},
            "ends_on",
            "",
        ),
        (
            "authorizations",
            {"payer": "Aetna", "reference": "A1", "starts_on": d(0), "ends_on": "2072-01-01"},
            "ends_on",
            "",
        ),
        (
            "authorizations",
            {
                "payer": "Aetna",
                "reference": "A1",
                "starts_on": d(0),
                "ends_on": d(9),
                "approved_g": "0",
            },
            "approved_g",
            "",
        ),
    ],
)
def test_a_row_is_refused_for_what_the_api_refuses(session, kind, row, field, message):
    files = {
        "patients": "mrn,given_name,family_name,birth_date,sex,height_cm\n"
        "R-1,Ann,Lee,1960-01-01,female,165\n",
        "weights": f"mrn,measured_on,weight_kg\nR-1,{d(-60)},70\n",
        "regimens": "mrn,starts_on,dose_g_per_kg,interval_days,product_code\n"
        f"R-1,{d(-60)},1,28,privigen\n",
    }
    # The files before the one under test, good; then that one with the refused row alone.
    files = {k: v for k, v in files.items() if KINDS.index(k) < KINDS.index(kind)}
    files[kind] = ",".join(["mrn", *row]) + "\n" + ",".join(["R-1", *row.values()]) + "\n"
    report = run_import(
        [source(k, text) for k, text in files.items()],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    refused = [e for f in report.files for e in f.errors]
    assert [(e.file, e.line, e.field) for e in refused] == [(f"{kind}.csv", 2, field)], refused
    assert message in refused[0].message


def test_the_same_row_gets_the_same_message_from_the_api(session, client, api_as):
    headers = api_as("pharmacist")
    answer = client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "mrn": "A-1",
            "given_name": "Ann",
            "family_name": "Lee",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height_cm": 165,
        },
    )
    pid = answer.json()["id"]
    client.post(
        f"/api/v1/patients/{pid}/weights",
        headers=headers,
        json={"measured_on": "2026-01-01", "weight_kg": 70},
    )
    api = client.post(
        f"/api/v1/patients/{pid}/regimens",
        headers=headers,
        json={"starts_on": "2026-01-02", "dose_g_per_kg": 3, "interval_days": 28},
    )
    assert api.status_code == 422
    api_error = api.json()["detail"][0]
    csv_report = run_import(
        [source("regimens", "mrn,starts_on,dose_g_per_kg,interval_days\nA-1,2026-01-02,3,28\n")],
        file_scope=lambda: savepoint(session),
        today=date.today(),
        actor=SYSTEM,
        dry_run=True,
    )
    (csv_error,) = csv_report.files[0].errors
    assert (csv_error.field, csv_error.message) == (api_error["loc"][-1], api_error["msg"])


def test_a_header_with_unknown_or_missing_columns_is_refused_on_line_1(session):
    report = run_import(
        [source("weights", "mrn,measured,weight_kg\nX,2026-01-01,70\n")],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    assert [(e.line, e.field) for e in report.files[0].errors] == [
        (1, "measured"),
        (1, "measured_on"),
    ]


def test_booked_chair_overlaps_are_warnings_and_a_shared_start_an_error(session, tmp_path):
    files = caseload()
    files["courses"].append(
        {
            "mrn": "CSV-2",
            "scheduled_on": d(1),
            "status": "booked",
            "chair": "C2",
            "start_time": "10:30",
        }
    )
    report = import_folder(session, write_files(tmp_path / "a", files))
    assert report.ok
    (warning,) = report.files[3].warnings
    assert (warning.line, warning.field) == (9, "chair")
    assert "chair C2 is also held on" in warning.message and "line 7" in warning.message
    again = {  # a third patient: CSV-1 and CSV-2 have their one course of that day
        "patients": [
            {"mrn": "CSV-3", "given_name": "Cy", "family_name": "Ng", "birth_date": "1970-01-02"}
        ],
        "courses": [
            {
                "mrn": "CSV-3",
                "scheduled_on": d(1),
                "status": "booked",
                "chair": "C2",
                "start_time": "10:00",
            }
        ],
    }
    report = import_folder(session, write_files(tmp_path / "b", again))
    (error,) = report.files[1].errors
    assert (error.line, error.field) == (2, "chair")
    assert "chair C2 is taken on" in error.message


def test_chair_time_is_estimated_like_the_booking_service_does(session, tmp_path):
    report = import_folder(session, write_files(tmp_path, caseload()))
    assert report.ok
    booked = session.exec(select(Infusion).where(Infusion.status == "booked")).one()
    product = session.exec(select(Product).where(Product.code == "privigen")).one()
    expected = infusion_service.estimate_chair_minutes(
        session, patient_id=booked.patient_id, day=booked.scheduled_on, dose_g=70, product=product
    )
    assert booked.chair_minutes == expected != infusion_service.DEFAULT_CHAIR_MINUTES


def test_formula_like_text_is_quoted_in_the_export_and_read_back_as_it_was(session, tmp_path):
    files = caseload()
    files["patients"][0]["family_name"] = "=HYPERLINK(1)"
    assert import_folder(session, write_files(tmp_path / "in", files)).ok
    write_caseload(session, tmp_path / "out")
    text = (tmp_path / "out" / "patients.csv").read_text()
    assert "'=HYPERLINK(1)" in text
    session.execute(delete(Patient))
    assert import_folder(session, tmp_path / "out").ok
    assert (
        session.exec(select(Patient.family_name).where(Patient.mrn == "CSV-1")).one()
        == "=HYPERLINK(1)"
    )


def test_export_then_import_then_export_gives_the_same_files(session, tmp_path):
    today = date(2026, 3, 1)
    load_demo(session, patients=25, seed=7, today=today)
    refresh_all(session, today=today)
    counts = write_caseload(session, tmp_path / "a", batch_size=10)
    assert counts["patients"] == 25 and counts["scores"] > 1000
    session.execute(delete(Patient))  # the rest goes with them (ON DELETE CASCADE)
    assert count(session, Infusion) == 0
    report = import_folder(session, tmp_path / "a", today=today)
    assert report.ok, errors(report)[:5]
    assert {f.name: f.rows for f in report.files} == {f"{k}.csv": n for k, n in counts.items()}
    write_caseload(session, tmp_path / "b")
    for kind in counts:
        assert filecmp.cmp(
            tmp_path / "a" / f"{kind}.csv", tmp_path / "b" / f"{kind}.csv", shallow=False
        ), kind


def test_a_file_that_is_not_utf8_is_refused_whole(session):
    report = run_import(
        [source("patients", "")],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    assert report.files[0].errors[0].message == "the file is empty"
    bad = source("patients", "x")
    bad.stream.write(b"mrn,given_name,family_name,birth_date\nA,\xff\xfe,L,1960-01-01\n")
    report = run_import(
        [bad], file_scope=lambda: savepoint(session), today=TODAY, actor=SYSTEM, dry_run=True
    )
    assert "UTF-8" in report.files[0].errors[0].message


def test_times_and_lots_read_from_the_file(session, tmp_path):
    assert import_folder(session, write_files(tmp_path, caseload())).ok
    given = session.exec(
        select(Infusion).where(Infusion.chair_id.is_not(None), Infusion.status == "given")
    ).one()
    assert given.start_time == time(9, 30)
    first = session.exec(
        select(InfusionLot).where(InfusionLot.lot_number == "P100").order_by(InfusionLot.id)
    ).first()
    assert first.expires_on.isoformat() == d(200) and first.size_g == 10


def test_an_mrn_differing_only_in_case_or_punctuation_is_one_patient(session):
    patients = (
        "mrn,given_name,family_name,birth_date,sex,height_cm\n"
        "BAD65252,Ann,Lee,1960-01-01,female,165\n"
        "bad65252.,Bob,Ray,1961-01-01,male,175\n"
    )
    report = run_import(
        [source("patients", patients)],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    refused = [e for f in report.files for e in f.errors]
    assert [(e.line, e.field) for e in refused] == [(3, "mrn")], refused
    assert refused[0].message == "MRN bad65252. is on an earlier row of this file (as BAD65252)"
    weights = f"mrn,measured_on,weight_kg\nbad-65252,{d(-60)},70\n"
    report = run_import(
        [source("patients", patients.rsplit("bad", 1)[0]), source("weights", weights)],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    assert [e for f in report.files for e in f.errors] == []


def test_a_second_course_on_a_patients_day_is_refused_as_the_api_refuses_it(session):
    files = {
        "patients": "mrn,given_name,family_name,birth_date\nR-1,Ann,Lee,1960-01-01\n",
        "courses": "mrn,scheduled_on,status,days\n"
        f"R-1,{d(1)},booked,1\nR-1,{d(1)},booked,1\nR-1,{d(2)},booked,1\n",
    }
    report = run_import(
        [source(k, text) for k, text in files.items()],
        file_scope=lambda: savepoint(session),
        today=TODAY,
        actor=SYSTEM,
        dry_run=True,
    )
    refused = [(e.line, e.field) for f in report.files for e in f.errors]
    assert refused == [(3, "scheduled_on")]
    assert "one course a day" in report.files[1].errors[0].message
