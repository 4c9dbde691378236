"""Importing a caseload from the six CSV files: every row checked, each file all or nothing.

Rows are checked one by one with the API's schemas and its services' rules (csv_rows), then
written in bulk, and the touched patients are evaluated in batches once per file: writing
row by row through the services, each re-evaluating its patient, would take minutes for a
caseload of a thousand patients with years of history.
"""

import csv
import hashlib
import io
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

from sqlmodel import Session

from tracker.interop.csv import layout
from tracker.interop.csv.caseload import Caseload
from tracker.interop.csv.rows import RowContext, RowRefused, cells
from tracker.interop.csv.writer import FileWriter
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.policy import load_policy

MAX_LISTED_ERRORS = 500  # per file; the count goes on past it
Progress = Callable[[str, int, int], None]  # (what, rows done, rows in all files)


@dataclass(frozen=True)
class RowError:
    """A refused row (or a warning about one): which file, line and column, and why."""

    file: str
    line: int
    field: str
    message: str


@dataclass
class FileReport:
    """What happened to one file."""

    name: str
    kind: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[RowError] = field(default_factory=list)
    # imported | checked (dry run, no errors) | refused | skipped (an earlier file failed)
    outcome: str = ""
    sha256: str = ""

    def add_error(self, error: RowError) -> None:
        """Count an error; list it while the list is short enough to read."""
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(error)


@dataclass
class ImportReport:
    """What an import (or a dry run) did with each file."""

    dry_run: bool
    files: list[FileReport]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no file had an error."""
        return all(f.error_count == 0 and f.outcome != "skipped" for f in self.files)


class FileRefused(Exception):
    """A file had errors: whoever opened its transaction rolls it back."""

    def __init__(self, report: FileReport) -> None:
        super().__init__(f"{report.name}: {report.error_count} error(s)")
        self.report = report


@dataclass
class CsvSource:
    """One CSV file to import, from a path or an uploaded (seekable, binary) file."""

    name: str
    kind: str
    path: Path | None = None
    stream: IO[bytes] | None = None

    def _binary(self) -> IO[bytes]:
        # Opened here from a path (the caller closes it), else the uploaded file itself.
        if self.path is not None:
            return self.path.open("rb")
        if self.stream is None:
            raise ValueError(f"{self.name}: a CSV source needs a path or a stream")
        return self.stream

    @contextmanager
    def text(self) -> Iterator[IO[str]]:
        """The file as text (UTF-8, with or without Excel's byte order mark)."""
        binary = self._binary()
        binary.seek(0)
        wrapper = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            if self.path is not None:
                wrapper.close()
            else:
                wrapper.detach()  # the caller owns the uploaded file

    def scan(self) -> tuple[int, str]:
        """(lines, SHA-256 hex) of the file, for the progress bar and the audit trail."""
        binary = self._binary()
        try:
            binary.seek(0)
            digest, lines = hashlib.sha256(), 0
            while chunk := binary.read(1 << 20):
                digest.update(chunk)
                lines += chunk.count(b"\n")
            return lines, digest.hexdigest()
        finally:
            if self.path is not None:
                binary.close()


def sources_from_paths(paths: list[Path]) -> list[CsvSource]:
    """The CSV files named, or the known files in a directory; ValueError for a stranger."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [
                path / layout.file_name(k)
                for k in layout.KINDS
                if (path / layout.file_name(k)).exists()
            ]
        else:
            files.append(path)
    sources = []
    for path in files:
        kind = layout.kind_of(path.name)
        if kind is None:
            raise ValueError(
                f"{path.name}: not one of {', '.join(layout.file_name(k) for k in layout.KINDS)}"
            )
        sources.append(CsvSource(name=path.name, kind=kind, path=path))
    return ordered(sources)


def ordered(sources: list[CsvSource]) -> list[CsvSource]:
    """The files in import order; ValueError when a kind is given twice or none is given."""
    kinds = [s.kind for s in sources]
    twice = {k for k in kinds if kinds.count(k) > 1}
    if twice:
        raise ValueError(f"{', '.join(sorted(twice))} given more than once")
    if not sources:
        raise ValueError("no CSV files to import")
    return sorted(sources, key=lambda s: layout.KINDS.index(s.kind))


def run_import(
    sources: list[CsvSource],
    *,
    file_scope: Callable[[], AbstractContextManager[Session]],
    today: date,
    actor: Actor,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check (and unless a dry run, write) each file in its own unit of work.

    `file_scope()` opens the unit of work of one file (a transaction or a savepoint) and
    must roll it back when FileRefused passes through it. After a refused file the files
    that lean on it are not imported (a dry run goes on checking them).
    """
    started = time.perf_counter()
    sources = ordered(sources)
    scans = [s.scan() for s in sources]
    importer = _Importer(
        today=today,
        actor=actor,
        dry_run=dry_run,
        progress=progress,
        total_rows=sum(max(lines - 1, 0) for lines, _ in scans),
    )
    reports: list[FileReport] = []
    stopped = False
    for source, (_, sha256) in zip(sources, scans, strict=True):
        if stopped:
            reports.append(FileReport(source.name, source.kind, outcome="skipped", sha256=sha256))
            continue
        try:
            with file_scope() as session:
                report = importer.import_file(session, source, sha256)
        except FileRefused as refused:
            report = refused.report
            stopped = not dry_run
        reports.append(report)
    if dry_run:
        with file_scope() as session:
            audit.record(
                session,
                actor=actor,
                action="import.check",
                entity="import",
                changes={
                    "files": {
                        r.name: {"rows": r.rows, "errors": r.error_count, "sha256": r.sha256}
                        for r in reports
                    }
                },
            )
    return ImportReport(
        dry_run=dry_run, files=reports, seconds=round(time.perf_counter() - started, 2)
    )


class _Importer:
    def __init__(
        self,
        *,
        today: date,
        actor: Actor,
        dry_run: bool,
        progress: Progress | None,
        total_rows: int,
    ) -> None:
        self.today, self.actor, self.dry_run = today, actor, dry_run
        self.progress, self.total_rows, self.done_rows = progress, total_rows, 0
        self.caseload: Caseload | None = None

    def import_file(self, session: Session, source: CsvSource, sha256: str) -> FileReport:
        """Check every row of one file and write it; FileRefused if any row is refused."""
        if self.caseload is None:
            self.caseload = Caseload(session)
        ctx = RowContext(
            session=session, caseload=self.caseload, today=self.today, policy=load_policy(session)
        )
        report = FileReport(source.name, source.kind, sha256=sha256)
        self._report(source.name)
        writer = FileWriter(
            source.kind, ctx, actor=self.actor, write=not self.dry_run, name=source.name
        )
        try:
            with source.text() as handle:
                self._rows(handle, report, writer, ctx)
        except UnicodeDecodeError:
            report.add_error(
                RowError(source.name, 0, "file", "not UTF-8 text: save it as CSV UTF-8")
            )
        except csv.Error as exc:
            report.add_error(RowError(source.name, 0, "file", f"not readable as CSV: {exc}"))
        self._report(source.name)
        if report.error_count:
            report.outcome = "refused"
            raise FileRefused(report)
        report.warnings = [
            RowError(source.name, line, column, message)
            for line, column, message in writer.finish(sha256)
        ]
        report.outcome = "checked" if self.dry_run else "imported"
        return report

    def _rows(
        self, handle: IO[str], report: FileReport, writer: FileWriter, ctx: RowContext
    ) -> None:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        if not header:
            report.add_error(RowError(report.name, 1, "file", "the file is empty"))
            return
        problems = layout.header_problems(report.kind, header)
        for column, message in problems:
            report.add_error(RowError(report.name, 1, column, message))
        if problems:
            return
        line_before = reader.line_num
        for values in reader:
            line, line_before = line_before + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            report.rows += 1
            self._tick(report.name)
            if len(values) > len(header):
                report.add_error(
                    RowError(
                        report.name, line, "row", f"{len(values)} cells but {len(header)} columns"
                    )
                )
                continue
            try:
                writer.add(cells(header, values), line, keep=report.error_count == 0)
            except RowRefused as refused:
                for column, message in refused.problems:
                    report.add_error(RowError(report.name, line, column, message))

    def _tick(self, name: str) -> None:
        self.done_rows += 1
        if self.done_rows % 500 == 0:
            self._report(name)

    def _report(self, name: str) -> None:
        if self.progress is not None:
            self.progress(name, self.done_rows, self.total_rows)
