"""Habits of templates/: formatting through the filters, one partial per repeated element,
and no role logic (what a page offers comes in as `can`, see tracker/web/permissions.py)."""

import re
from pathlib import Path

import pytest

from tracker.web.templating import TEMPLATES_DIR

TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html")) + sorted(TEMPLATES_DIR.rglob("*.txt"))


def _offending(pattern: str, *, allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in TEMPLATES:
        name = str(path.relative_to(TEMPLATES_DIR))
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(pattern, line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("a date or time written by hand: use | date, | datetime or | clock", r"strftime"),
        ("a figure written by hand: use | number or | dose", r"""['"]%[+0-9.]*[gfd]['"]\s*%"""),
        # ISO stays in value= attributes and links, where a machine reads it.
        ("a date for people in ISO: use | date", r">\{\{ [^}]*\.isoformat\(\) \}\}<"),
    ],
)
def test_templates_format_through_the_filters(what, pattern):
    assert _offending(pattern) == [], what


def test_no_template_decides_by_role():
    # The role is shown (who is logged in, an account's role on the admin page), never
    # compared: a page asks `can.<name>`.
    assert _offending(r"role\s*(==|!=|\bin\b|\bnot in\b)") == []
    assert _offending(r"user\.role", allowed=("base.html",)) == []


def test_repeated_elements_are_drawn_by_their_partial():
    assert _offending(r'class="flag[ "]', allowed=("_flag.html",)) == [], "use flag_chip"
    assert _offending(r"family_name \}\}, \{\{", allowed=("_patient_name.html",)) == [], (
        "use patient_name"
    )
    assert _offending(r"\| dose\('g/kg'\) \}\}\{% if \w+\.dose_g", allowed=("_dose.html",)) == [], (
        "use regimen_dose"
    )


def test_the_partials_exist():
    for name in ("_flag.html", "_dose.html", "_patient_name.html"):
        assert (Path(TEMPLATES_DIR) / name).exists(), name
