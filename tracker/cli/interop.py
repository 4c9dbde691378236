"""`tracker export fhir|csv` and `tracker import csv`: the caseload in other systems' formats."""

from pathlib import Path

import typer

from tracker.cli.console import console, day_or_today, fail, progress_bar
from tracker.settings import get_settings

export_app = typer.Typer(help="Export the caseload.", no_args_is_help=True)
import_app = typer.Typer(help="Import a caseload.", no_args_is_help=True)


@export_app.command("fhir")
def export_fhir(
    out: Path = typer.Option(..., "--out", help="directory for the NDJSON files"),
    on: str | None = typer.Option(None, help="the day regimens are current on (default today)"),
) -> None:
    """Every patient as FHIR R4 bulk NDJSON: one file per resource type."""
    from tracker.interop.fhir.export import write_bulk_ndjson
    from tracker.store.engine import session_scope

    day = day_or_today(on, "on")
    with session_scope(write=False) as session, progress_bar() as bar:
        task = bar.add_task("FHIR export", total=None)
        counts = write_bulk_ndjson(
            session,
            out_dir=out,
            today=day,
            settings=get_settings(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    for kind, count in counts.items():
        console.print(f"{out / (kind + '.ndjson')}: {count}")


@export_app.command("csv")
def export_csv(
    out: Path = typer.Option(..., "--out", help="directory for the six CSV files"),
) -> None:
    """The caseload as patients.csv, weights.csv, regimens.csv, courses.csv, scores.csv and
    authorizations.csv."""
    from tracker.interop.csv.export import write_caseload
    from tracker.store.engine import session_scope

    with session_scope(write=False) as session, progress_bar() as bar:
        task = bar.add_task("CSV export", total=None)
        counts = write_caseload(
            session, out, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    for kind, count in counts.items():
        console.print(f"{out / (kind + '.csv')}: {count} rows")


@import_app.command("csv")
def import_csv(
    paths: list[Path] = typer.Argument(..., help="a directory holding the files, or files"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row, write nothing"),
    on: str | None = typer.Option(None, help="the day taken as today (default today)"),
) -> None:
    """Import patients, weights, regimens, courses and scores; each file all or nothing."""
    from tracker.interop.csv.importer import run_import, sources_from_paths
    from tracker.services.actors import SYSTEM
    from tracker.store.engine import session_scope

    missing = [p for p in paths if not p.exists()]
    if missing:
        fail(f"{missing[0]} does not exist", 2)
    try:
        sources = sources_from_paths(paths)
    except ValueError as exc:
        fail(str(exc), 2)
    with progress_bar() as bar:
        task = bar.add_task("checking" if dry_run else "importing", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        # Each file commits (or rolls back) on its own.
        report = run_import(
            sources,
            file_scope=session_scope,
            today=day_or_today(on, "on"),
            actor=SYSTEM,
            dry_run=dry_run,
            progress=progress,
        )
    for f in report.files:
        console.print(
            f"{f.name}: {f.rows} rows, {f.outcome}"
            + (f", {f.error_count} error(s)" if f.error_count else "")
            + (f", {len(f.warnings)} warning(s)" if f.warnings else "")
        )
        for e in f.errors:
            console.print(
                f"  {e.file}:{e.line}: {e.field}: {e.message}", highlight=False, soft_wrap=True
            )
        if f.error_count > len(f.errors):
            console.print(f"  ... and {f.error_count - len(f.errors)} more")
        for w in f.warnings:
            console.print(
                f"  warning: {w.file}:{w.line}: {w.field}: {w.message}",
                highlight=False,
                soft_wrap=True,
            )
    console.print(f"{'checked' if dry_run else 'done'} in {report.seconds} s")
    if not report.ok:
        raise typer.Exit(1)
