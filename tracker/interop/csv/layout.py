"""The caseload CSV files: their columns and the lots cell (safe text cells: formats.csv_cells).

Six files, imported in this order because each leans on the ones before it (a regimen's
dose needs a weight, a course its regimen, a score may name its course): patients.csv,
weights.csv, regimens.csv, courses.csv, scores.csv, and authorizations.csv (funding
authorisations, which need only their patient). Patients are keyed by MRN in all of them.
"""

from dataclasses import dataclass

KINDS = ("patients", "weights", "regimens", "courses", "scores", "authorizations")

COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (
        "mrn",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "height_cm",
        "email",
        "reminder_consent",
        "diagnosis",
        "status",
        "min_interval_days",
        "max_interval_days",
    ),
    "weights": ("mrn", "measured_on", "weight_kg", "confirm_weight_change"),
    "regimens": (
        "mrn",
        "starts_on",
        "dose_g_per_kg",
        "interval_days",
        "days_per_course",
        "product_code",
        "weight_basis",
        "reason",
        "override_reason",
        "route",
    ),
    "courses": (
        "mrn",
        "scheduled_on",
        "status",
        "start_time",
        "chair",
        "site",
        "nurse",
        "days",
        "chair_minutes",
        "dose_g",
        "product_code",
        "lots",
        "confirm_lot_total",
        "reactions",
        "premedication",
        "notes",
        "cancel_reason",
    ),
    "scores": ("mrn", "taken_on", "measure", "side", "value", "timing", "course_on", "source"),
    "authorizations": (
        "mrn",
        "payer",
        "reference",
        "starts_on",
        "ends_on",
        "approved_g",
        "approved_courses",
    ),
}
REQUIRED: dict[str, frozenset[str]] = {
    "patients": frozenset({"mrn", "given_name", "family_name", "birth_date"}),
    "weights": frozenset({"mrn", "measured_on", "weight_kg"}),
    "regimens": frozenset({"mrn", "starts_on", "dose_g_per_kg", "interval_days"}),
    "courses": frozenset({"mrn", "scheduled_on", "status"}),
    "scores": frozenset({"mrn", "taken_on", "measure", "value", "timing"}),
    "authorizations": frozenset({"mrn", "payer", "reference", "starts_on", "ends_on"}),
}
# Free-text columns: the only ones a spreadsheet could take for a formula.
TEXT_COLUMNS = frozenset(
    {
        "given_name",
        "family_name",
        "email",
        "diagnosis",
        "reason",
        "override_reason",
        "reactions",
        "premedication",
        "notes",
        "cancel_reason",
        "payer",
        "reference",
    }
)


def file_name(kind: str) -> str:
    """The file a kind of row lives in: patients -> patients.csv."""
    return f"{kind}.csv"


def kind_of(name: str) -> str | None:
    """The kind of rows a file holds, from its name (patients.csv -> patients)."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower().removesuffix(".csv")
    return stem if stem in KINDS else None


def header_problems(kind: str, header: list[str]) -> list[tuple[str, str]]:
    """What is wrong with a file's header row, as (column, message) pairs."""
    known = COLUMNS[kind]
    problems = []
    seen: set[str] = set()
    for column in header:
        if column not in known:
            problems.append(
                (column or "(blank)", f"unknown column; {file_name(kind)} has {', '.join(known)}")
            )
        elif column in seen:
            problems.append((column, "column appears twice"))
        seen.add(column)
    problems += [
        (column, "required column is missing")
        for column in known
        if column in REQUIRED[kind] and column not in seen
    ]
    return problems


@dataclass(frozen=True)
class LotCell:
    """One lot as written in the lots cell: LOT:VIALS[:SIZE_G[:EXPIRES_ON]]."""

    lot_number: str
    vials: str
    size_g: str = ""
    expires_on: str = ""


def encode_lots(lots: list[LotCell]) -> str:
    """The lots cell: lots separated by ';', their parts by ':' (backslash escapes both)."""

    def part(text: str) -> str:
        return text.replace("\\", "\\\\").replace(";", "\\;").replace(":", "\\:")

    cells = []
    for lot in lots:
        parts = [lot.lot_number, lot.vials, lot.size_g, lot.expires_on]
        while parts and parts[-1] == "":
            parts.pop()
        cells.append(":".join(part(p) for p in parts))
    return ";".join(cells)


def decode_lots(cell: str) -> list[list[str]]:
    """The parts of each lot in a lots cell (not yet validated)."""
    lots: list[list[str]] = []
    parts: list[str] = []
    current: list[str] = []
    chars = iter(cell)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == ":":
            parts.append("".join(current))
            current = []
        elif char == ";":
            parts.append("".join(current))
            lots.append(parts)
            parts, current = [], []
        else:
            current.append(char)
    parts.append("".join(current))
    if any(p.strip() for p in parts) or lots:
        lots.append(parts)
    return [[p.strip() for p in lot] for lot in lots]
