"""The site policy: defaults from section 2 of the clinical rules, and refusal of nonsense."""

import math
from dataclasses import FrozenInstanceError, fields

import pytest

from tracker.rules import PolicyError, SitePolicy, check_policy_change
from tracker.rules.policy import PATIENT_INTERVAL_DAYS

# Section 2 of the clinical rules, key by key, section 8's two keys, and site settings of
# our own.
SPEC_DEFAULTS = {
    "min_interval_days": 14,
    "max_interval_days": 42,
    "due_tolerance_days": 3,
    "booking_lookahead_days": 14,
    "max_intensity_g_per_kg_28d": 2.4,
    "dose_rounding_g": 5,
    "adjusted_weight_bmi": 30,
    "adjusted_weight_factor": 0.4,
    "wear_off_cycles": 2,
    "reported_wear_off_margin_days": 7,
    "trough_window_days": 3,
    "taper_stable_days": 180,
    "taper_min_cycles": 4,
    "progressive_lookback_days": 365,
    "step_interval_days": 7,
    "escalate_factor": 1.25,
    "taper_factor": 0.75,
    "first_review_days": 182,
    "review_every_days": 365,
    "review_warning_days": 30,
    "weight_stale_days": 180,
    "reminder_days_before": 3,
    "notify_window_open": True,
    "authorization_notice_days": 30,
    "authorizations_required": False,
    "home_visit_buffer_minutes": 30,
    "sc_conversion_factor": 1.0,
    "sc_dose_rounding_g": 1,
    "sc_tolerance_days": 1,
    "adjusted_weight_min_height_cm": 152.4,
    "weight_unit": "kg",
    "height_unit": "cm",
}


def test_every_default_of_the_spec_under_its_key():
    assert SitePolicy().to_dict() == SPEC_DEFAULTS


def test_no_setting_beyond_the_spec_and_the_extras():
    assert {f.name for f in fields(SitePolicy)} == set(SPEC_DEFAULTS)


def test_policy_is_frozen():
    with pytest.raises(FrozenInstanceError):
        SitePolicy().min_interval_days = 7  # type: ignore[misc]


def test_min_interval_longer_than_max_is_refused():
    with pytest.raises(PolicyError) as err:
        SitePolicy(min_interval_days=43)
    assert err.value.field == "min_interval_days"
    assert isinstance(err.value, ValueError)


def test_equal_min_and_max_interval_is_allowed():
    assert SitePolicy(min_interval_days=28, max_interval_days=28).max_interval_days == 28


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("escalate_factor", 1.0, 1.01),
        ("escalate_factor", 0.9, 2.0),
        ("escalate_factor", 2.5, 1.5),
        ("taper_factor", 1.0, 0.99),
        ("taper_factor", 0.49, 0.5),
        ("taper_factor", 1.2, 0.75),
        ("adjusted_weight_factor", -0.1, 0.0),
        ("adjusted_weight_factor", 1.1, 1.0),
    ],
)
def test_factors_out_of_range_are_refused(name, bad, good):
    with pytest.raises(PolicyError) as err:
        SitePolicy(**{name: bad})
    assert err.value.field == name
    assert getattr(SitePolicy(**{name: good}), name) == good


def test_a_review_warning_as_long_as_the_review_period_is_refused():
    with pytest.raises(PolicyError) as err:
        SitePolicy(review_warning_days=182)
    assert err.value.field == "review_warning_days"


def test_fractional_days_and_non_numbers_are_refused():
    with pytest.raises(PolicyError) as err:
        SitePolicy(min_interval_days=14.5)
    assert err.value.field == "min_interval_days"
    with pytest.raises(PolicyError):
        SitePolicy(max_intensity_g_per_kg_28d="2.4")  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        SitePolicy(wear_off_cycles=True)  # a bool is not a count
    with pytest.raises(PolicyError):
        SitePolicy(max_intensity_g_per_kg_28d=float("nan"))
    with pytest.raises(PolicyError) as err:
        SitePolicy(notify_window_open=1)  # type: ignore[arg-type]
    assert err.value.field == "notify_window_open"


def test_whole_floats_from_json_become_days():
    policy = SitePolicy.from_dict({"min_interval_days": 7.0})
    assert policy.min_interval_days == 7
    assert isinstance(policy.min_interval_days, int)


def test_to_dict_and_from_dict_round_trip():
    policy = SitePolicy(max_interval_days=56, escalate_factor=1.2, notify_window_open=False)
    assert SitePolicy.from_dict(policy.to_dict()) == policy


def test_from_dict_keeps_defaults_for_missing_keys():
    policy = SitePolicy.from_dict({"due_tolerance_days": 4})
    assert policy.due_tolerance_days == 4
    assert policy.max_interval_days == 42


def test_from_dict_refuses_an_unknown_key_by_name():
    with pytest.raises(PolicyError) as err:
        SitePolicy.from_dict({"max_interval_days": 42, "max_intervall_days": 49})
    assert err.value.field == "max_intervall_days"


def test_from_dict_validates_values_too():
    with pytest.raises(PolicyError) as err:
        SitePolicy.from_dict({"taper_factor": 1.5})
    assert err.value.field == "taper_factor"


def test_patient_bounds_replace_the_site_bounds():
    site = SitePolicy()
    assert site.with_patient_bounds(7, None).min_interval_days == 7
    assert site.with_patient_bounds(7, None).max_interval_days == 42
    assert site.with_patient_bounds(None, 56).max_interval_days == 56
    both = site.with_patient_bounds(21, 35)
    assert (both.min_interval_days, both.max_interval_days) == (21, 35)
    assert site.with_patient_bounds(None, None) == site
    # The copy leaves the site policy alone.
    assert site.min_interval_days == 14


def test_patient_bounds_that_cross_are_refused():
    with pytest.raises(PolicyError) as err:
        SitePolicy().with_patient_bounds(49, None)
    assert err.value.field == "min_interval_days"


def test_describe_gives_meaning_source_and_range_for_every_setting():
    described = SitePolicy.describe()
    assert set(described) == set(SPEC_DEFAULTS)
    assert described["max_intensity_g_per_kg_28d"]["source"] == "G"
    assert described["wear_off_cycles"]["source"] == "O"
    assert all(v["meaning"] and v["range"] for v in described.values())
    assert described["max_interval_days"]["range"] == "14 to 84 days"
    assert described["escalate_factor"]["range"] == "above 1 and at most 2"
    assert described["weight_unit"]["choices"] == ["kg", "lb"]
    # Every default lies in its own range.
    for name, info in described.items():
        if info["min"] is not None:
            assert info["min"] <= info["default"] <= info["max"], name


RANGED = [f for f in fields(SitePolicy) if "range" in f.metadata]


def _step(f) -> float:
    return 1 if f.type == "int" else 0.01


def _edges(f) -> tuple[float, float]:
    """The lowest and highest values allowed (one step inside an open end)."""
    r = f.metadata["range"]
    return (r.low + _step(f) if r.low_open else r.low, r.high - _step(f) if r.high_open else r.high)


def _around(name: str, value) -> dict:
    # The other settings a value must not clash with (min <= max; warning < reviews;
    # trough < shortest interval), moved out of the way.
    others: dict = {}
    if name == "min_interval_days":
        others["max_interval_days"] = max(value, 42)
    if name == "max_interval_days":
        others["min_interval_days"] = min(value, 14)
    if name in ("review_every_days", "first_review_days"):
        others["review_warning_days"] = 0
    if name == "review_warning_days":
        others |= {"first_review_days": 365, "review_every_days": 365}
    if name == "trough_window_days":
        others["min_interval_days"] = 14
    return {name: value, **others}


def test_every_numeric_setting_has_a_range():
    numeric = {f.name for f in fields(SitePolicy) if f.type in ("int", "float")}
    assert {f.name for f in RANGED} == numeric


@pytest.mark.parametrize("f", RANGED, ids=lambda f: f.name)
def test_each_range_edge_is_allowed(f):
    low, high = _edges(f)
    assert getattr(SitePolicy(**_around(f.name, low)), f.name) == pytest.approx(low)
    assert getattr(SitePolicy(**_around(f.name, high)), f.name) == pytest.approx(high)


@pytest.mark.parametrize("f", RANGED, ids=lambda f: f.name)
def test_just_outside_each_range_is_refused_naming_the_key_and_range(f):
    r = f.metadata["range"]
    below = r.low if r.low_open else r.low - _step(f)
    above = r.high if r.high_open else r.high + _step(f)
    for value in (below, above):
        with pytest.raises(PolicyError) as err:
            SitePolicy(**{f.name: value})
        assert err.value.field == f.name
        assert f.name in err.value.message and str(r) in err.value.message


@pytest.mark.parametrize("f", RANGED, ids=lambda f: f.name)
@pytest.mark.parametrize("value", [-1, 99_999_999, 1e300])
def test_absurd_values_are_refused_for_every_key(f, value):
    if f.type == "int" and isinstance(value, float):
        value = 99_999_999_999
    with pytest.raises(PolicyError) as err:
        SitePolicy(**{f.name: value})
    assert err.value.field == f.name


@pytest.mark.parametrize("f", [f for f in RANGED if _edges(f)[0] > 0], ids=lambda f: f.name)
def test_zero_is_refused_where_it_would_mean_nothing(f):
    with pytest.raises(PolicyError) as err:
        SitePolicy(**{f.name: 0})
    assert err.value.field == f.name


def test_the_brief_cases_are_refused():
    with pytest.raises(PolicyError) as err:
        SitePolicy.from_dict({"max_interval_days": 99999999})
    assert err.value.field == "max_interval_days" and "14 to 84 days" in err.value.message
    with pytest.raises(PolicyError) as err:
        SitePolicy.from_dict({"max_intensity_g_per_kg_28d": 1e300, "min_interval_days": 7})
    assert err.value.field == "max_intensity_g_per_kg_28d"
    assert "0.5 to 4.8 g/kg per 28 days" in err.value.message


def test_unit_settings_are_choices():
    assert SitePolicy(weight_unit="lb", height_unit="in").weight_unit == "lb"
    for name, bad in (("weight_unit", "stone"), ("height_unit", "ft"), ("weight_unit", 1)):
        with pytest.raises(PolicyError) as err:
            SitePolicy(**{name: bad})
        assert err.value.field == name


@pytest.mark.parametrize(
    ("cap", "reason", "refused"),
    [
        (2.4, None, False),
        (2.0, None, False),
        (2.41, None, True),
        (3.0, "  ", True),
        (3.0, "refractory cohort, approved by the Ig panel 2026-12-01", False),
    ],
)
def test_a_cap_above_the_label_needs_a_reason_with_the_change(cap, reason, refused):
    current = SitePolicy()
    updated = SitePolicy(max_intensity_g_per_kg_28d=cap)
    if refused:
        with pytest.raises(PolicyError) as err:
            check_policy_change(current, updated, reason=reason)
        assert err.value.field == "max_intensity_g_per_kg_28d"
        assert '"reason"' in err.value.message and "2.4" in err.value.message
    else:
        check_policy_change(current, updated, reason=reason)


def test_a_cap_already_above_the_label_needs_no_new_reason_for_other_changes():
    current = SitePolicy(max_intensity_g_per_kg_28d=3.0)
    check_policy_change(
        current, SitePolicy(max_intensity_g_per_kg_28d=3.0, due_tolerance_days=4), reason=None
    )
    with pytest.raises(PolicyError):  # moving it, even down, while still above: say why
        check_policy_change(current, SitePolicy(max_intensity_g_per_kg_28d=2.8), reason=None)


def test_a_patient_may_have_bounds_beyond_the_site_range_within_its_own():
    site = SitePolicy()
    assert site.with_patient_bounds(PATIENT_INTERVAL_DAYS.low, None).min_interval_days == 7
    assert site.with_patient_bounds(None, PATIENT_INTERVAL_DAYS.high).max_interval_days == 120
    both = site.with_patient_bounds(7, 120)
    assert (both.min_interval_days, both.max_interval_days) == (7, 120)
    assert site.max_interval_days == 42  # the site's own policy is untouched


@pytest.mark.parametrize(
    ("low", "high", "name"),
    [
        (6, None, "min_interval_days"),
        (None, 121, "max_interval_days"),
        (None, math.inf, "max_interval_days"),
        (None, 99_999_999, "max_interval_days"),
    ],
)
def test_patient_bounds_outside_their_range_are_refused(low, high, name):
    with pytest.raises(PolicyError) as err:
        SitePolicy().with_patient_bounds(low, high)
    assert err.value.field == name
