"""The site policy: defaults from section 2 of the clinical rules, and refusal of nonsense."""

from dataclasses import FrozenInstanceError, fields

import pytest

from tracker.rules import PolicyError, SitePolicy

# Section 2 of the clinical rules, key by key, plus two site settings of our own.
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
    "adjusted_weight_min_height_cm": 152.4,
}


def test_every_default_of_the_spec_under_its_key():
    assert SitePolicy().to_dict() == SPEC_DEFAULTS


def test_no_setting_beyond_the_spec_and_the_two_extras():
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
    "name",
    [
        "min_interval_days",
        "max_interval_days",
        "max_intensity_g_per_kg_28d",
        "dose_rounding_g",
        "adjusted_weight_bmi",
        "wear_off_cycles",
        "taper_min_cycles",
        "progressive_lookback_days",
        "step_interval_days",
        "first_review_days",
        "review_every_days",
        "weight_stale_days",
        "adjusted_weight_min_height_cm",
    ],
)
@pytest.mark.parametrize("value", [0, -1])
def test_non_positive_numbers_are_refused(name, value):
    with pytest.raises(PolicyError) as err:
        SitePolicy(**{name: value})
    assert err.value.field == name


@pytest.mark.parametrize(
    "name",
    [
        "due_tolerance_days",
        "booking_lookahead_days",
        "reported_wear_off_margin_days",
        "trough_window_days",
        "review_warning_days",
        "reminder_days_before",
    ],
)
def test_zero_is_allowed_where_it_means_none_but_negative_is_not(name):
    assert getattr(SitePolicy(**{name: 0}), name) == 0
    with pytest.raises(PolicyError) as err:
        SitePolicy(**{name: -1})
    assert err.value.field == name


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        ("escalate_factor", 1.0, 1.01),
        ("escalate_factor", 0.9, 2.0),
        ("escalate_factor", 2.5, 1.5),
        ("taper_factor", 1.0, 0.99),
        ("taper_factor", 0.0, 0.01),
        ("taper_factor", 1.2, 0.5),
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


def test_describe_gives_meaning_and_source_for_every_setting():
    described = SitePolicy.describe()
    assert set(described) == set(SPEC_DEFAULTS)
    assert described["max_intensity_g_per_kg_28d"]["source"] == "G"
    assert described["wear_off_cycles"]["source"] == "O"
    assert all(v["meaning"] for v in described.values())
