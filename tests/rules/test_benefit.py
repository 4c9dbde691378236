"""Baseline against best, per series (rules/benefit.py), checked against a plain reading of
the rule: one pass over the readings in recorded order, as the rule is worded."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tracker.rules.benefit import SeriesChange, changes_after, changes_in
from tracker.rules.facts import ScoreColumns
from tracker.rules.measures import MEASURES

START = date(2026, 3, 2)
MEASURE_CODES = (*MEASURES, "unknown_measure")


def reference_changes(readings, *, baseline_on, first_day, last_day):
    """The rule read literally: each series' latest score on or before the baseline day
    (of a day, the last recorded), and its best score in the span."""
    baselines, best = {}, {}
    for day, series, value in readings:
        measure = MEASURES.get(series[0])
        if measure is None or measure.mcid is None:
            continue
        if day <= baseline_on.toordinal():
            seen = baselines.get(series)
            if seen is None or day >= seen[0]:
                baselines[series] = (day, value)
        if first_day.toordinal() <= day <= last_day.toordinal():
            current = best.get(series)
            if current is None or (
                value > current if measure.higher_is_better else value < current
            ):
                best[series] = value
    return tuple(
        SeriesChange(series, baselines[series][1], best[series])
        for series in sorted(
            baselines.keys() & best.keys(), key=lambda s: tuple(p or "" for p in s)
        )
    )


scores = st.lists(
    st.tuples(
        st.integers(-20, 60),  # days from START, in any order
        st.sampled_from(MEASURE_CODES),
        st.sampled_from((None, "left", "right")),
        st.sampled_from(("pre_infusion", "post_infusion", "clinic")),
        st.sampled_from(("clinic", "home")),
        st.integers(0, 60).map(float),
    ),
    max_size=40,
)
spans = st.tuples(st.integers(-5, 10), st.integers(0, 15), st.integers(0, 60))


@given(scores=scores, span=spans, packed=st.booleans())
def test_columns_give_what_the_rule_says(scores, span, packed):
    baseline, first_from, length = span
    baseline_on = START + timedelta(days=baseline)
    first_day = baseline_on + timedelta(days=first_from)
    last_day = first_day + timedelta(days=length)
    names = [(m, side, timing, source) for _d, m, side, timing, source, _v in scores]
    if packed:
        # As the sweep reads them: each kind one character, its name in `names`.
        letters = {name: chr(65 + n) for n, name in enumerate(dict.fromkeys(names))}
        kinds = "".join(letters[name] for name in names)
        columns = ScoreColumns(
            days=[(START + timedelta(days=d)).toordinal() for d, *_ in scores],
            kinds=kinds,
            values=[v for *_, v in scores],
            names={letter: name for name, letter in letters.items()},
        )
    else:
        columns = ScoreColumns(
            days=[(START + timedelta(days=d)).toordinal() for d, *_ in scores],
            kinds=names,
            values=[v for *_, v in scores],
        )
    readings = [
        ((START + timedelta(days=d)).toordinal(), (m, side, source), v)
        for d, m, side, _timing, source, v in scores
    ]
    expected = reference_changes(
        readings, baseline_on=baseline_on, first_day=first_day, last_day=last_day
    )
    span_of = {"baseline_on": baseline_on, "first_day": first_day, "last_day": last_day}
    assert changes_after(columns, **span_of) == expected
    assert changes_in(iter(readings), **span_of) == expected


def test_of_two_baselines_on_one_day_the_later_recorded_counts_whatever_the_order_given():
    day = START.toordinal()
    readings = [
        (day + 5, ("grip_vigorimeter", "left", "clinic"), 60.0),
        (day, ("grip_vigorimeter", "left", "clinic"), 30.0),
        (day - 3, ("grip_vigorimeter", "left", "clinic"), 50.0),
        (day, ("grip_vigorimeter", "left", "clinic"), 40.0),
    ]
    span = {
        "baseline_on": START,
        "first_day": START + timedelta(days=1),
        "last_day": START + timedelta(days=10),
    }
    (change,) = changes_in(readings, **span)
    assert (change.baseline, change.best) == (40.0, 60.0)


def test_lower_is_better_takes_the_least_of_the_span_and_ignores_the_wear_off_day():
    day = START.toordinal()
    readings = [
        (day, ("incat", None, "clinic"), 5.0),
        (day + 3, ("incat", None, "clinic"), 3.0),
        (day + 9, ("incat", None, "clinic"), 4.0),
        (day, ("wear_off_day", None, "home"), 20.0),
        (day + 4, ("wear_off_day", None, "home"), 30.0),
    ]
    span = {
        "baseline_on": START,
        "first_day": START + timedelta(days=1),
        "last_day": START + timedelta(days=10),
    }
    assert changes_in(readings, **span) == (SeriesChange(("incat", None, "clinic"), 5.0, 3.0),)
