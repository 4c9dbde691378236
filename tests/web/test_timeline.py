"""The SVG timeline on the patient page, checked on plain values (no database)."""

import hashlib
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from tracker.rules import CourseFact, PatientFacts, RegimenFact, ScoreFact, SitePolicy, evaluate
from tracker.services.patient_record import PatientRecord
from tracker.web.timeline import (
    TimelineCourse,
    TimelinePoint,
    TimelineRegimen,
    TimelineSeries,
    render_timeline,
    timeline_svg,
)
from tracker.web.timeline.patient import rules_used
from tracker.web.timeline.values import TimelineTreatment

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TODAY = date(2025, 3, 3)


def dmy(day: date) -> str:
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"


def history(years: int = 3, seed: int = 7, today: date = TODAY) -> dict:
    """A realistic MMN history ending today: keyword arguments for render_timeline."""
    # Courses every 28 days, shortened to 21 after end-of-dose wear-off, then a dose rise;
    # grip troughs and peaks at every course, MRC sum quarterly, INCAT, ONLS and RODS twice
    # a year, wear-off days reported on some cycles.
    rng = random.Random(seed)
    first = today - timedelta(days=365 * years)
    switch = first + timedelta(days=int(365 * years * 0.45))
    rise = first + timedelta(days=int(365 * years * 0.8))
    day_before = timedelta(days=1)  # ends_on is a period's last day
    regimens = (
        TimelineRegimen(
            first, switch - day_before, "1.0 g/kg (70 g) every 28 d", "Start of maintenance"
        ),
        TimelineRegimen(
            switch,
            rise - day_before,
            "1.0 g/kg (70 g) every 21 d",
            "Wear-off from day 18: interval shortened",
        ),
        TimelineRegimen(
            rise, None, "1.2 g/kg (85 g) every 21 d", "Troughs still falling: dose raised"
        ),
    )
    courses, days = [], []
    day = first
    while day <= today:
        dose = 85.0 if day >= rise else 70.0
        lot = f"P{4700 + len(courses)}"
        courses.append(TimelineCourse(day, dose, "given", f"{dose:g} g Privigen, lots {lot}"))
        days.append(day)
        day += timedelta(days=28 if day < switch else 21)
    courses.append(TimelineCourse(day, 85.0, "booked", "85 g Privigen"))
    grip = {"right": [], "left": []}
    for i, d in enumerate(days):
        drift = -6 * i / len(days)
        for side, base in (("right", 62.0), ("left", 48.0)):
            trough = base + drift + rng.uniform(-4, 4) - (6 if d < switch and i % 2 else 0)
            grip[side].append(TimelinePoint(d, round(trough, 1), "trough"))
            grip[side].append(
                TimelinePoint(d + timedelta(days=3), round(trough + rng.uniform(8, 14), 1), "peak")
            )
    quarters = [first + timedelta(days=91 * q + 10) for q in range(4 * years)]
    halves = quarters[::2]
    series = (
        TimelineSeries(
            "grip_vigorimeter:right",
            "Grip right (Vigorimeter)",
            "kPa",
            True,
            "grip",
            tuple(grip["right"]),
        ),
        TimelineSeries(
            "grip_vigorimeter:left",
            "Grip left (Vigorimeter)",
            "kPa",
            True,
            "grip",
            tuple(grip["left"]),
        ),
        TimelineSeries(
            "mrc_sum",
            "MRC sum",
            "points",
            True,
            "mrc",
            tuple(
                TimelinePoint(d, float(52 - i // 4 + rng.randint(-1, 1)), "clinic")
                for i, d in enumerate(quarters)
            ),
        ),
        TimelineSeries(
            "incat",
            "INCAT",
            "points",
            False,
            "disability",
            tuple(
                TimelinePoint(d, float(min(10, 2 + i // 3)), "clinic") for i, d in enumerate(halves)
            ),
        ),
        TimelineSeries(
            "onls",
            "ONLS",
            "points",
            False,
            "disability",
            tuple(
                TimelinePoint(d + timedelta(days=1), float(min(12, 2 + i // 2)), "clinic")
                for i, d in enumerate(halves)
            ),
        ),
        TimelineSeries(
            "rods",
            "RODS",
            "centile",
            True,
            "rods",
            tuple(
                TimelinePoint(d, float(78 - 2 * i + rng.randint(-3, 3)), "clinic")
                for i, d in enumerate(halves)
            ),
        ),
        TimelineSeries(
            "wear_off_day",
            "Wear-off day",
            "day of cycle",
            True,
            "wear_off",
            tuple(
                TimelinePoint(d + timedelta(days=18), float(rng.randint(15, 26)), "clinic")
                for d in days[::3]
            ),
        ),
    )
    return {
        "series": series,
        "courses": tuple(courses),
        "regimens": regimens,
        "window": (day - timedelta(days=3), day + timedelta(days=4)),
        "next_booking": day,
        "today": today,
    }


def parse(markup: Markup) -> ET.Element:
    """The SVG as an element tree (fails the test if it is not well-formed XML)."""
    return ET.fromstring(str(markup))


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    """Elements whose class attribute contains cls as a whole word."""
    return [e for e in root.iter() if cls in e.get("class", "").split()]


def centre(el: ET.Element) -> tuple[float, float]:
    """The drawn centre of a point marker (circle, square or triangle path)."""
    tag = el.tag.removeprefix(SVG)
    if tag == "circle":
        return float(el.get("cx")), float(el.get("cy"))
    if tag == "rect":
        return (
            float(el.get("x")) + float(el.get("width")) / 2,
            float(el.get("y")) + float(el.get("height")) / 2,
        )
    x, y = re.match(r"M(-?[\d.]+) (-?[\d.]+)", el.get("d")).groups()
    return float(x), float(y)


def line_x(el: ET.Element) -> float:
    """The x of a vertical marker drawn as the first path in a group."""
    path = el.find(f"{SVG}path")
    return float(re.match(r"M(-?[\d.]+) ", path.get("d")).group(1))


def span(el: ET.Element) -> tuple[float, float]:
    """Left and right edge of a band."""
    x = float(el.get("x"))
    return x, x + float(el.get("width"))


@pytest.fixture(scope="module")
def data() -> dict:
    return history()


@pytest.fixture(scope="module")
def root(data) -> ET.Element:
    return parse(render_timeline(**data))


def test_returns_markup_that_parses_as_svg(data):
    out = render_timeline(**data)
    assert isinstance(out, Markup)
    root = parse(out)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"


def test_one_marker_per_given_and_per_booked_course(data, root):
    given = [c for c in data["courses"] if c.status == "given"]
    booked = [c for c in data["courses"] if c.status == "booked"]
    assert len(given) > 30 and len(booked) == 1
    given_marks = [e for e in root.iter() if e.get("class") == "tl-course tl-given"]
    booked_marks = [e for e in root.iter() if e.get("class") == "tl-course tl-booked"]
    assert [e.get("data-day") for e in given_marks] == [c.day.isoformat() for c in given]
    assert [e.get("data-day") for e in booked_marks] == [c.day.isoformat() for c in booked]


def test_every_course_keeps_its_full_label_as_tooltip(data, root):
    tips = [e.find(f"{SVG}title").text for e in by_class(root, "tl-course")]
    assert tips == [
        f"{'Given' if c.status == 'given' else 'Booked'} {dmy(c.day)}: {c.label}"
        for c in data["courses"]
    ]


def test_booked_courses_are_dashed_and_given_are_not(root):
    for e in by_class(root, "tl-course"):
        dashed = e.find(f"{SVG}path").get("stroke-dasharray") is not None
        assert dashed == ("tl-booked" in e.get("class"))


def test_one_point_per_score_with_kind_class(data, root):
    for s in data["series"]:
        drawn = [e for e in by_class(root, "tl-point") if e.get("data-series") == s.key]
        assert len(drawn) == len(s.points), s.key
        assert sorted((e.get("data-day"), e.get("class")) for e in drawn) == sorted(
            (p.day.isoformat(), f"tl-point tl-{p.kind}") for p in s.points
        )


def test_point_shapes_by_kind(root):
    shapes = {"tl-trough": "path", "tl-peak": "circle", "tl-plain": "circle", "tl-clinic": "rect"}
    for e in by_class(root, "tl-point"):
        kind = e.get("class").split()[1]
        assert e.tag == SVG + shapes[kind]
    troughs = by_class(root, "tl-trough")
    assert troughs and all(e.get("fill") == "#ffffff" for e in troughs)  # hollow
    assert all(e.get("fill") != "#ffffff" for e in by_class(root, "tl-peak"))


def test_point_tooltips_name_date_series_value_unit_and_kind(root):
    e = next(
        e for e in by_class(root, "tl-trough") if e.get("data-series") == "grip_vigorimeter:left"
    )
    tip = e.find(f"{SVG}title").text
    day = date.fromisoformat(e.get("data-day"))
    assert tip.startswith(dmy(day))
    assert "Grip left (Vigorimeter)" in tip and " kPa" in tip and "trough" in tip
    assert re.search(r": \d+(\.\d+)? kPa", tip)


def test_x_grows_with_day(root):
    points = sorted(
        (date.fromisoformat(e.get("data-day")), centre(e)[0]) for e in by_class(root, "tl-point")
    )
    courses = [
        (date.fromisoformat(e.get("data-day")), line_x(e)) for e in by_class(root, "tl-course")
    ]
    for marks in (points, courses):
        for (d0, x0), (d1, x1) in zip(marks, marks[1:], strict=False):
            assert (x1 > x0) if d1 > d0 else (x1 == x0), (d0, d1)


def _series(key, unit, higher, panel, values, kind="clinic"):
    start = date(2024, 1, 1)
    return TimelineSeries(
        key,
        key.upper(),
        unit,
        higher,
        panel,
        tuple(TimelinePoint(start + timedelta(days=30 * i), v, kind) for i, v in enumerate(values)),
    )


def _render(series=(), courses=(), regimens=(), **kw):
    args = {"window": None, "next_booking": None, "today": date(2024, 12, 1)} | kw
    return render_timeline(series=series, courses=courses, regimens=regimens, **args)


def _ys(root, key):
    return {
        e.get("data-day"): centre(e)[1]
        for e in by_class(root, "tl-point")
        if e.get("data-series") == key
    }


def test_lower_is_better_axis_is_inverted():
    incat = _series("incat", "points", False, "disability", [1, 3, 6])
    mrc = _series("mrc_sum", "points", True, "mrc", [50, 53, 56])
    root = parse(_render([incat, mrc]))
    y_incat = list(_ys(root, "incat").values())
    y_mrc = list(_ys(root, "mrc_sum").values())
    assert y_incat[0] < y_incat[1] < y_incat[2]  # a worse (higher) INCAT sits lower
    assert y_mrc[0] > y_mrc[1] > y_mrc[2]  # a better (higher) MRC sits higher
    titles = "".join(e.text or "" for e in by_class(root, "tl-panel-title"))
    assert "lower is better, axis inverted" in titles


def test_panels_in_clinical_order_and_empty_ones_skipped():
    series = [
        _series("incat", "points", False, "disability", [2]),
        _series("grip", "kPa", True, "grip", [60]),
        _series("rods", "centile", True, "rods", []),
    ]
    root = parse(_render(series))
    assert [e.get("data-panel") for e in by_class(root, "tl-panel")] == ["grip", "disability"]


def test_window_band_lies_between_window_dates(data, root):
    (band,) = by_class(root, "tl-window")
    x_by_day = {e.get("data-day"): line_x(e) for e in by_class(root, "tl-course")}
    w0, w1 = data["window"]
    x_booking = x_by_day[data["next_booking"].isoformat()]
    left, right = span(band)
    assert left < x_booking < right  # the booking (3 days into the window) is inside
    per_day = (
        x_by_day[data["courses"][-1].day.isoformat()]
        - x_by_day[data["courses"][-2].day.isoformat()]
    ) / 21
    assert left == pytest.approx(x_booking - 3 * per_day, abs=0.2)
    assert right == pytest.approx(x_booking + 4 * per_day, abs=0.2)
    assert band.get("data-from") == w0.isoformat() and band.get("data-to") == w1.isoformat()


def test_next_booking_and_today_are_marked(data, root):
    (booking,) = by_class(root, "tl-next-booking")
    assert booking.get("data-day") == data["next_booking"].isoformat()
    (today,) = by_class(root, "tl-today")
    assert line_x(today) < line_x(booking)


def test_flag_labels_stay_inside_the_drawing(data):
    """ "next 24 Mar" is written left of its line, unless that would run off the left edge."""
    for start in (None, data["next_booking"]):
        root = parse(render_timeline(**data, start=start))
        (label,) = by_class(root, "tl-next-booking")[0].iter(f"{SVG}text")
        x, anchor = float(label.get("x")), label.get("text-anchor")
        assert anchor == ("end" if start is None else "start")
        assert (anchor == "end" and x > 80) or (anchor == "start" and x < 100), (start, x)


def test_regimen_bands_cover_their_periods(data, root):
    bands = by_class(root, "tl-regimen")
    assert len(bands) == len(data["regimens"])
    x_by_day = {e.get("data-day"): line_x(e) for e in by_class(root, "tl-course")}
    for band, regimen in zip(bands, data["regimens"], strict=True):
        left, right = span(band)
        inside = [
            x
            for d, x in x_by_day.items()
            if regimen.starts_on <= date.fromisoformat(d)
            and (regimen.ends_on is None or date.fromisoformat(d) <= regimen.ends_on)
        ]
        assert inside and left <= min(inside) and max(inside) <= right
        assert regimen.reason in band.find(f"{SVG}title").text
    fills = [b.get("fill") for b in bands]
    assert fills[0] != fills[1] and fills[0] == fills[2]  # alternating shades
    # Consecutive periods meet: no gap, no overlap.
    assert span(bands[0])[1] == pytest.approx(span(bands[1])[0])


def test_hostile_text_is_escaped():
    attack = "<script>alert(1)</script>"
    series = [
        replace(
            _series("grip", "kPa", True, "grip", [50, 60], "trough"),
            key=f'x"{attack}',
            label=attack,
            unit=attack,
        )
    ]
    courses = [TimelineCourse(date(2024, 1, 1), 70, "given", attack)]
    regimens = [TimelineRegimen(date(2023, 12, 1), None, attack, attack)]
    out = str(_render(series, courses, regimens))
    assert "<script" not in out.lower()
    assert "&lt;script&gt;" in out
    root = ET.fromstring(out)  # still well-formed: nothing broke out of an attribute
    assert not [e for e in root.iter() if e.tag.removeprefix(SVG) == "script"]
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert any(attack in (t or "") for t in tips)  # shown as text, not dropped


def test_no_inline_styles_or_scripts(root):
    out = ET.tostring(root, encoding="unicode")
    assert not [e for e in root.iter() if "style" in e.attrib]
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}style")]
    assert " on" not in re.sub(r'"[^"]*"', '""', out)  # no onload=, onclick= handlers


def test_accessible_name_and_summary(data, root):
    ids = root.get("aria-labelledby").split()
    found = {e.get("id"): e for e in root.iter() if e.get("id") in ids}
    assert [found[i].tag for i in ids] == [f"{SVG}title", f"{SVG}desc"]
    desc = found[ids[1]].text
    given = sum(c.status == "given" for c in data["courses"])
    scores = sum(len(s.points) for s in data["series"])
    assert f"{given} infusion courses given, 1 booked" in desc
    assert f"{scores} scores in 7 series: Grip right (Vigorimeter) " in desc
    assert desc.startswith(
        f"Courses and scores from {dmy(data['courses'][0].day)} to {dmy(data['courses'][-1].day)}."
    )
    assert "axis inverted" in desc


def test_empty_history_draws_a_small_notice():
    out = _render(next_booking=date(2025, 1, 6))
    root = parse(out)
    assert "No courses or scores yet" in "".join(root.itertext())
    assert float(root.get("height")) < 100
    assert not by_class(root, "tl-point") and not by_class(root, "tl-course")
    assert root.get("role") == "img" and root.find(f"{SVG}desc") is not None
    # Series without points count as no scores.
    assert "No courses or scores yet" in str(
        _render([_series("incat", "points", False, "disability", [])])
    )


def test_courses_without_scores_still_draw_markers():
    courses = [
        TimelineCourse(date(2024, 1, 1) + timedelta(days=28 * i), 70, "given") for i in range(5)
    ]
    root = parse(_render(courses=courses))
    assert len(by_class(root, "tl-given")) == 5
    assert "No scores recorded yet" in "".join(root.itertext())


def test_start_and_end_clip_the_history(data):
    start, end = date(2023, 6, 1), date(2024, 5, 31)
    root = parse(render_timeline(**data, start=start, end=end))
    days = [
        date.fromisoformat(e.get("data-day"))
        for e in by_class(root, "tl-point") + by_class(root, "tl-course")
    ]
    assert days and all(start <= d <= end for d in days)
    inside = [c for c in data["courses"] if start <= c.day <= end]
    assert len(by_class(root, "tl-course")) == len(inside)


def test_every_course_keeps_its_marker_when_labels_are_thinned():
    ten_years = history(years=10)
    root = parse(render_timeline(**ten_years))
    assert len(by_class(root, "tl-course")) == len(ten_years["courses"])
    labelled = [e for e in by_class(root, "tl-course") if e.find(f"{SVG}text") is not None]
    assert 0 < len(labelled) < len(ten_years["courses"])  # thinned, not dropped
    # Every dose change keeps its label.
    doses = [c.dose_g for c in ten_years["courses"]]
    change = next(i for i in range(1, len(doses)) if doses[i] != doses[i - 1])
    assert by_class(root, "tl-course")[change].find(f"{SVG}text") is not None


def test_time_axis_labels_adapt_to_the_span():
    def labels(years):
        root = parse(render_timeline(**history(years=years)))
        axis = by_class(root, "tl-axis")[0]
        return [t.text for t in axis.iter(f"{SVG}text")]

    three, ten = labels(3), labels(10)
    assert "Jul" in three and "2024" in three  # months, with years underneath
    assert all(re.fullmatch(r"\d{4}", t) for t in ten)  # years only
    assert 8 <= len(ten) <= 16 and len(three) <= 24


def test_series_differ_by_dash_not_only_colour(root):
    lines = {}
    for g in by_class(root, "tl-series"):
        trend = g.find(f"{SVG}polyline")
        if g.get("data-series").startswith("grip") and trend is not None:
            lines[g.get("data-series")] = (trend.get("stroke"), trend.get("stroke-dasharray"))
    right, left = lines["grip_vigorimeter:right"], lines["grip_vigorimeter:left"]
    assert right[0] != left[0] and right[1] != left[1]


def test_same_input_gives_the_same_bytes(data):
    assert str(render_timeline(**data)) == str(render_timeline(**data))
    assert str(render_timeline(**data)) == str(render_timeline(**history()))


def test_same_bytes_across_processes_with_other_hash_seeds(data):
    """Set or dict-of-str ordering would change with PYTHONHASHSEED; the output must not."""
    here = Path(__file__)
    code = (
        "import hashlib, importlib.util, sys; "
        f"spec = importlib.util.spec_from_file_location('t', {str(here)!r}); "
        "t = importlib.util.module_from_spec(spec); spec.loader.exec_module(t); "
        "print(hashlib.sha256(str(t.render_timeline(**t.history())).encode()).hexdigest())"
    )
    expected = hashlib.sha256(str(render_timeline(**data)).encode()).hexdigest()
    for seed in ("1", "2"):
        env = os.environ | {"PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=here.parents[2],
            check=True,
        )
        assert done.stdout.strip() == expected


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="status"):
        _render(courses=[TimelineCourse(date(2024, 1, 1), 70, "cancelled")])
    with pytest.raises(ValueError, match="kind"):
        _render([_series("grip", "kPa", True, "grip", [50], "weird")])
    with pytest.raises(ValueError, match="width"):
        _render([_series("grip", "kPa", True, "grip", [50])], width=200)
    with pytest.raises(ValueError, match="before"):
        _render(
            [_series("grip", "kPa", True, "grip", [50])],
            start=date(2024, 5, 1),
            end=date(2024, 1, 1),
        )


# --- What the rules used: a patient's record through timeline_svg ---------------------------

D0 = date(2025, 1, 6)  # the first course; courses every 28 days, the fourth one booked


def d(n: int) -> date:
    return D0 + timedelta(days=n)


GRIP = (  # (timing, day, value) of right grip scores
    ("post_infusion", 3, 70),
    ("post_infusion", 10, 75),  # cycle 1: the peak is the best, 75
    ("pre_infusion", 18, 58),  # 10 days before course 2: outside the 3-day trough window
    ("pre_infusion", 28, 60),
    ("post_infusion", 28, 60),  # course 2's day: trough; no peak
    ("post_infusion", 31, 72),
    ("pre_infusion", 55, 61),  # cycle 2: peak and trough
    ("post_infusion", 59, 74),  # cycle 3 has not ended (today is day 70): no peak yet
)


def record(*, regimen: bool = True, treatments: tuple[dict, ...] = ()) -> PatientRecord:
    """A record as patient_record builds it, from plain values and the rules' evaluation."""
    scores = [
        SimpleNamespace(
            taken_on=d(n),
            measure="grip_vigorimeter",
            side="right",
            value=float(v),
            timing=t,
            source="clinic",
        )
        for t, n, v in GRIP
    ]
    scores.append(
        SimpleNamespace(
            taken_on=d(40),
            measure="mrc_sum",
            side=None,
            value=54.0,
            timing="clinic",
            source="clinic",
        )
    )
    courses = [
        {
            "scheduled_on": d(28 * i),
            "dose_g": 70.0,
            "status": "given" if i < 3 else "booked",
            "product_code": None,
            "lots": [],
            "reactions": None,
        }
        for i in range(4)
    ]
    regimens = (
        [
            {
                "starts_on": D0,
                "dose_g_per_kg": 1.0,
                "dose_g": 70.0,
                "interval_days": 28,
                "reason": "maintenance",
            }
        ]
        if regimen
        else []
    )
    facts = PatientFacts(
        regimens=(RegimenFact(id=1, starts_on=D0, dose_g_per_kg=1.0, interval_days=28),)
        if regimen
        else (),
        courses=tuple(
            CourseFact(id=i + 1, starts_on=c["scheduled_on"], status=c["status"])
            for i, c in enumerate(courses)
        ),
        scores=tuple(
            ScoreFact(
                taken_on=s.taken_on, measure=s.measure, side=s.side, value=s.value, timing=s.timing
            )
            for s in scores
        ),
    )
    evaluation = evaluate(facts, on=d(70), policy=SitePolicy())
    return PatientRecord(
        patient=None,
        evaluation=evaluation,
        regimens=regimens,
        current_regimen=regimens[0] if regimens else None,
        courses=courses,
        scores=scores,
        reviews=[],
        weights=[],
        products={},
        other_treatments=list(treatments),
    )


def kinds_by_day(root: ET.Element, series: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in by_class(root, "tl-point"):
        if e.get("data-series") == series:
            found.setdefault(e.get("data-day"), []).append(e.get("class").split()[1])
    return {day: sorted(kinds) for day, kinds in found.items()}


def test_only_the_peaks_and_troughs_the_evaluation_used_are_marked_as_such():
    root = parse(timeline_svg(record(), today=d(70)))
    assert kinds_by_day(root, "grip_vigorimeter:right") == {
        d(3).isoformat(): ["tl-plain"],
        d(10).isoformat(): ["tl-peak"],
        d(18).isoformat(): ["tl-plain"],
        d(28).isoformat(): ["tl-plain", "tl-trough"],
        d(31).isoformat(): ["tl-peak"],
        d(55).isoformat(): ["tl-trough"],
        d(59).isoformat(): ["tl-plain"],
    }
    assert kinds_by_day(root, "mrc_sum") == {d(40).isoformat(): ["tl-clinic"]}
    # The marks are the rules' own answer, nothing worked out again.
    response = record().evaluation.response
    used_peaks = {s.peak.taken_on.isoformat() for c in response.cycles for s in c.swings}
    used_troughs = {r.taken_on.isoformat() for c in response.cycles for r in c.troughs}
    assert {e.get("data-day") for e in by_class(root, "tl-peak")} == used_peaks
    assert {e.get("data-day") for e in by_class(root, "tl-trough")} == used_troughs


def test_a_pre_infusion_score_ten_days_before_a_course_is_a_plain_score_not_a_trough():
    root = parse(timeline_svg(record(), today=d(70)))
    (point,) = [e for e in by_class(root, "tl-point") if e.get("data-day") == d(18).isoformat()]
    assert "tl-plain" in point.get("class") and "tl-trough" not in point.get("class")
    assert point.tag == f"{SVG}circle" and point.get("fill") == "#ffffff"  # a small ring
    tip = point.find(f"{SVG}title").text
    assert "before infusion, not a peak or trough the evaluation used" in tip
    # The trough line joins only the troughs the rules counted.
    (line,) = [e for e in by_class(root, "tl-line-trough")]
    assert len(line.get("points").split()) == 2


def test_a_post_infusion_score_that_is_not_its_cycles_best_is_not_a_peak():
    root = parse(timeline_svg(record(), today=d(70)))
    cycle_one = {
        e.get("data-day"): e.get("class").split()[1]
        for e in by_class(root, "tl-point")
        if d(1) <= date.fromisoformat(e.get("data-day")) < d(28)
        and e.get("data-series") == "grip_vigorimeter:right"
    }
    assert cycle_one[d(10).isoformat()] == "tl-peak"  # 75, the best
    assert cycle_one[d(3).isoformat()] == "tl-plain"  # 70, after the infusion but not the best


def test_the_legend_explains_the_plain_score():
    root = parse(timeline_svg(record(), today=d(70)))
    legend = "".join(by_class(root, "tl-legend")[0].itertext())
    assert "score not used as peak or trough" in legend
    assert "before infusion (trough)" in legend and "after infusion (peak)" in legend
    # Without plain scores the legend does not mention them.
    assert "not used" not in "".join(parse(render_timeline(**history())).itertext())


def test_with_no_evaluation_of_the_response_no_score_is_a_peak_or_trough():
    no_regimen = record(regimen=False)
    assert no_regimen.evaluation.response is None
    root = parse(timeline_svg(no_regimen, today=d(70)))
    assert not by_class(root, "tl-peak") and not by_class(root, "tl-trough")
    assert len(by_class(root, "tl-plain")) == len(GRIP)


def test_a_reading_marks_one_score_and_prefers_the_fitting_timing():
    same_day = [
        SimpleNamespace(
            taken_on=d(28),
            measure="grip_vigorimeter",
            side="right",
            value=60.0,
            timing=t,
            source="clinic",
        )
        for t in ("post_infusion", "pre_infusion")
    ]
    response = record().evaluation.response
    # The post-infusion score comes first but has the same key: the trough is the pre one.
    assert rules_used(same_day, response) == [None, "trough"]
    assert rules_used(same_day, None) == [None, None]


# --- Other treatments as lanes ---------------------------------------------------------------


def _lane(root: ET.Element, label: str) -> ET.Element:
    return next(e for e in by_class(root, "tl-treatment") if label in "".join(e.itertext()))


def test_other_treatments_are_lanes_from_their_start_to_their_stop(data):
    stopped = TimelineTreatment(
        date(2023, 5, 1), date(2023, 9, 30), "Cyclophosphamide", "cyclophosphamide"
    )
    ongoing = TimelineTreatment(date(2024, 11, 4), None, "Trial drug: ARGX-117", "trial_drug")
    root = parse(render_timeline(**data, treatments=[ongoing, stopped]))
    lanes = by_class(root, "tl-treatment")
    assert [e.get("data-from") for e in lanes] == ["2023-05-01", "2024-11-04"]  # by start
    assert [e.get("data-to") for e in lanes] == ["2023-09-30", ""]
    x_by_day = {e.get("data-day"): line_x(e) for e in by_class(root, "tl-course")}
    days = sorted((date.fromisoformat(k), v) for k, v in x_by_day.items())
    (d0, x0), (d1, x1) = days[0], days[-1]
    per_day = (x1 - x0) / (d1 - d0).days

    def x_of(day: date) -> float:
        return x0 + (day - d0).days * per_day

    def edges(lane: ET.Element) -> tuple[float, float]:
        xs = [float(v) for v in re.findall(r"[MH](-?[\d.]+)", lane.find(f"{SVG}path").get("d"))]
        return min(xs), max(xs)

    left, right = edges(_lane(root, "Cyclophosphamide"))
    assert left == pytest.approx(x_of(stopped.starts_on), abs=0.2)
    assert right == pytest.approx(x_of(stopped.ends_on + timedelta(days=1)), abs=0.2)
    trial = _lane(root, "ARGX-117")
    assert "tl-ongoing" in trial.get("class") and "tl-treatment-trial_drug" in trial.get("class")
    left, _ = edges(trial)
    assert left == pytest.approx(x_of(ongoing.starts_on), abs=0.2)
    # An ongoing lane's body ends 7 px before the right edge, where its arrow points.
    body = float(re.search(r"H(-?[\d.]+)", trial.find(f"{SVG}path").get("d")).group(1))
    assert body + 7 == pytest.approx(float(root.get("width")) - 16, abs=0.2)
    assert trial.find(f"{SVG}title").text == "Trial drug: ARGX-117, from 04 Nov 2024, ongoing"
    assert _lane(root, "Cyclophosphamide").find(f"{SVG}title").text == (
        "Cyclophosphamide, from 01 May 2023 to 30 Sep 2023"
    )
    assert "other treatment (arrow: ongoing)" in "".join(by_class(root, "tl-legend")[0].itertext())
    assert "Other treatments: Cyclophosphamide, from 01 May 2023 to 30 Sep 2023; " in (
        root.find(f"{SVG}desc").text
    )
    # The lanes push the panels down, not over them.
    without = parse(render_timeline(**data))
    assert float(root.get("height")) > float(without.get("height"))


def test_a_patients_other_treatments_are_drawn_beside_the_ivig_history():
    treatments = (
        {"kind": "rituximab", "description": "", "started_on": d(-120), "stopped_on": d(-90)},
        {"kind": "trial_drug", "description": "ARGX-117", "started_on": d(40), "stopped_on": None},
    )
    root = parse(timeline_svg(record(treatments=treatments), today=d(70)))
    lanes = by_class(root, "tl-treatment")
    assert [(e.get("data-from"), e.get("data-to")) for e in lanes] == [
        (d(-120).isoformat(), d(-90).isoformat()),
        (d(40).isoformat(), ""),
    ]
    assert ["".join(e.itertext()).split(",")[0] for e in lanes] == [
        "Rituximab",
        "Trial drug: ARGX-117",
    ]
    # The rituximab before the first course widens the drawn span to show it whole.
    start = re.match(r"M(-?[\d.]+) ", lanes[0].find(f"{SVG}path").get("d")).group(1)
    assert float(start) > 52  # inside the frame, not held at its left edge
    assert "tl-treatment-rituximab" in lanes[0].get("class")


def test_a_treatment_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        _render(
            [_series("grip", "kPa", True, "grip", [50])],
            treatments=[TimelineTreatment(date(2024, 5, 1), date(2024, 4, 1), "Rituximab")],
        )
