"""The import page: upload, dry run, import with a progress bar, every error named; and the
caseload export for admins."""

import io
import re
import zipfile
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from tests.builders.pages import csrf_of, log_in
from tests.interop.csv_files import caseload, write_files
from tests.opening_days import open_every_day
from tracker.store.models import AuditEvent, Patient, Weight


def _uploads(folder) -> dict:
    return {p.stem: (p.name, p.read_bytes(), "text/csv") for p in sorted(folder.iterdir())}


def _form(client) -> tuple[str, str]:
    page = client.get("/import")
    assert page.status_code == 200
    run_id = re.search(r'name="run_id" value="([^"]+)"', page.text).group(1)
    return csrf_of(page.text), run_id


def _today_caseload(tmp_path):
    # The page's clinical day is the real today: shift the caseload's dates to it.
    from tests.interop import csv_files

    shift = date.today() - csv_files.TODAY
    files = caseload()
    for rows in files.values():
        for row in rows:
            for key, value in row.items():
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or "") and key != "birth_date":
                    row[key] = (date.fromisoformat(value) + shift).isoformat()
            if "lots" in row:
                row["lots"] = re.sub(
                    r"\d{4}-\d{2}-\d{2}",
                    lambda m: (date.fromisoformat(m.group()) + shift).isoformat(),
                    row["lots"],
                )
    return files


def test_the_page_has_a_progress_bar_and_no_inline_script(client, make_user):
    log_in(client, make_user, "pharmacist")
    page = client.get("/import").text
    assert '<progress id="import-progress">' in page
    assert '<script src="/static/import_progress.js" defer></script>' in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert client.get("/static/import_progress.js").status_code == 200


def test_check_then_import_over_the_page(client, make_user, session, tmp_path):
    user = log_in(client, make_user, "pharmacist")
    open_every_day(session)  # the caseload's booking falls on any weekday, shifted to today
    files = _uploads(write_files(tmp_path, _today_caseload(tmp_path)))
    csrf, run_id = _form(client)
    checked = client.post(
        "/import", data={"csrf_token": csrf, "action": "check", "run_id": run_id}, files=files
    )
    assert checked.status_code == 200, checked.text[:2000]
    assert "Every row can be imported. Nothing was written" in checked.text
    assert session.exec(select(func.count()).select_from(Patient)).one() == 0

    csrf, run_id = _form(client)
    done = client.post(
        "/import", data={"csrf_token": csrf, "action": "import", "run_id": run_id}, files=files
    )
    assert done.status_code == 200
    assert "Every file was imported." in done.text
    assert session.exec(select(func.count()).select_from(Patient)).one() == 2
    progress = client.get(f"/import/progress/{run_id}").json()
    assert progress["finished"] is True and progress["done"] == progress["total"] == 19
    files_audit = session.exec(select(AuditEvent).where(AuditEvent.action == "import.file")).all()
    assert {e.actor_id for e in files_audit} == {user.id}
    # Another user cannot read this run's progress.
    client.cookies.clear()
    log_in(client, make_user, "admin")
    assert client.get(f"/import/progress/{run_id}").json() == {"unknown": True}


def test_a_bad_line_is_named_and_its_file_is_not_imported(client, make_user, session, tmp_path):
    log_in(client, make_user, "pharmacist")
    files = _today_caseload(tmp_path)
    files["weights"][1]["weight_kg"] = "heavy"
    csrf, run_id = _form(client)
    answer = client.post(
        "/import",
        data={"csrf_token": csrf, "action": "import", "run_id": run_id},
        files=_uploads(write_files(tmp_path, files)),
    )
    assert answer.status_code == 422
    assert "refused: nothing written" in answer.text
    assert (
        "<tr><td>weights.csv</td><td>3</td><td>weight_kg</td>"
        "<td>Input should be a valid number, unable to parse string as a number</td></tr>"
        in answer.text
    )
    assert "not imported: a file before it was refused" in answer.text
    assert session.exec(select(func.count()).select_from(Patient)).one() == 2
    assert session.exec(select(func.count()).select_from(Weight)).one() == 0


def test_the_form_needs_files_a_csrf_token_and_a_pharmacist(client, make_user, tmp_path):
    log_in(client, make_user, "pharmacist")
    csrf, run_id = _form(client)
    empty = client.post("/import", data={"csrf_token": csrf, "action": "check", "run_id": run_id})
    assert empty.status_code == 422 and "Choose at least one CSV file." in empty.text
    files = _uploads(write_files(tmp_path, caseload()))
    assert client.post("/import", data={"action": "check"}, files=files).status_code == 403
    client.cookies.clear()
    log_in(client, make_user, "nurse")
    assert client.get("/import").status_code == 403


def test_admins_download_the_caseload_as_a_zip_of_the_six_files(
    client, make_user, session, tmp_path
):
    from tests.interop.csv_files import import_folder

    import_folder(session, write_files(tmp_path, caseload()))
    session.commit()
    log_in(client, make_user, "pharmacist")
    assert client.get("/export/caseload.zip").status_code == 403
    client.cookies.clear()
    log_in(client, make_user, "admin")
    answer = client.get("/export/caseload.zip")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == [
        "authorizations.csv",
        "courses.csv",
        "patients.csv",
        "regimens.csv",
        "scores.csv",
        "weights.csv",
    ]
    assert archive.read("patients.csv").decode().count("\n") == 3
    (entry,) = session.exec(select(AuditEvent).where(AuditEvent.action == "export.csv"))
    assert entry.changes["rows"]["courses"] == 7
