"""The caseload import page (CSV files, a dry run, a progress bar) and the caseload export.

The import runs inside the POST request, one savepoint per file, and its result page is
rendered when it ends: that works without JavaScript, and a failed file is rolled back with
the request's own transaction machinery. While it runs, a small static script polls
/import/progress/{run} to move a <progress> bar.
"""

import os
import secrets
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from tracker.interop.csv import export as csv_export
from tracker.interop.csv.importer import CsvSource, run_import
from tracker.interop.csv.layout import KINDS, file_name
from tracker.services import audit
from tracker.web import import_runs
from tracker.web.deps import DbSession, PageAdmin, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm
from tracker.web.routing import Router
from tracker.web.templating import render
from tracker.web.threads import runs_long

router = Router(include_in_schema=False)
_RUN_ID = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _form_page(request: Request, *, error: str = "", status: int = 200):
    return render(
        request,
        "import.html",
        {
            "kinds": KINDS,
            "file_name": file_name,
            "run_id": secrets.token_urlsafe(16),
            "error": error,
        },
        status_code=status,
    )


@router.get("/import")
def import_page(request: Request, user: PagePharmacist):
    """Choose the CSV files of a caseload; check them, or import them."""
    return _form_page(request)


@router.post("/import")
@runs_long
def import_files(
    request: Request, db: DbSession, user: PagePharmacist, today: Today, form: VerifiedForm
):
    """Check (dry run) or import the uploaded files; the result names every error."""
    sources = []
    for kind in KINDS:
        upload = form.get(kind)
        if isinstance(upload, UploadFile) and upload.filename and upload.size:
            sources.append(CsvSource(name=upload.filename, kind=kind, stream=upload.file))
    if not sources:
        return _form_page(request, error="Choose at least one CSV file.", status=422)
    dry_run = form.get("action") != "import"
    run_id = str(form.get("run_id", ""))
    if not (16 <= len(run_id) <= 64 and set(run_id) <= _RUN_ID):
        run_id = secrets.token_urlsafe(16)
    import_runs.start(run_id, user.id)

    @contextmanager
    def file_scope():
        # One savepoint per file: a refused file is rolled back alone, and the files before
        # it are committed with the request.
        with db.begin_nested():
            yield db

    try:
        report = run_import(
            sources,
            file_scope=file_scope,
            today=today,
            actor=actor(request, user),
            dry_run=dry_run,
            progress=lambda stage, done, total: import_runs.update(run_id, stage, done, total),
        )
    finally:
        import_runs.finish(run_id)
    return render(
        request, "import_result.html", {"report": report}, status_code=200 if report.ok else 422
    )


@router.get("/import/progress/{run_id}")
def import_progress(
    user: PagePharmacist, run_id: Annotated[str, PathParam(min_length=16, max_length=64)]
):
    """How far an import of this user has got (for the progress bar)."""
    state = import_runs.read(run_id, user.id)
    return JSONResponse(state or {"unknown": True}, headers={"Cache-Control": "no-store"})


@router.get("/export/caseload.zip")
@writes_on_get
@runs_long
def export_caseload(request: Request, db: DbSession, user: PageAdmin):
    """The whole caseload as the six CSV files the import reads, in one zip (admin)."""
    spool = tempfile.NamedTemporaryFile(suffix=".zip", delete=False)  # noqa: SIM115
    with (
        tempfile.TemporaryDirectory() as folder,
        zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        counts = csv_export.write_caseload(db, Path(folder))
        for kind in KINDS:
            archive.write(Path(folder) / file_name(kind), file_name(kind))
    spool.close()
    # A whole caseload leaving the building: the trail says who took it.
    audit.record(
        db,
        actor=actor(request, user),
        action="export.csv",
        entity="caseload",
        changes={"rows": counts},
    )
    return FileResponse(
        spool.name,
        media_type="application/zip",
        filename="caseload.zip",
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(os.unlink, spool.name),
    )
