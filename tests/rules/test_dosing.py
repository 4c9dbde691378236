"""Dose calculation: section 3 of the clinical rules and its worked examples."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules import (
    DosingError,
    SitePolicy,
    VialCount,
    body_mass_index,
    calculate_dose,
    dosing_weight,
    estimated_chair_minutes,
    exceeds_intensity_cap,
    ideal_body_weight_kg,
    intensity_g_per_kg_28d,
    max_dose_g_per_kg,
    round_dose_g,
    vial_plan,
)

POLICY = SitePolicy()


# The worked examples of section 3: sex, height, weight, g/kg, basis, dosing kg, IBW, BMI, dose.
WORKED_EXAMPLES = [
    ("female", 160, 95, 1.0, "adjusted", 69.43, 52.38, 37.1, 70),
    ("male", 180, 80, 1.0, "actual", 80, None, 24.7, 80),
    ("male", 175, 120, 2.0, "adjusted", 90.28, 70.46, 39.2, 180),
    ("female", 150, 90, 1.0, "actual", 90, None, None, 90),
]


@pytest.mark.parametrize(
    ("sex", "height", "weight", "g_per_kg", "basis", "kg", "ibw", "bmi", "dose"), WORKED_EXAMPLES
)
def test_worked_examples(sex, height, weight, g_per_kg, basis, kg, ibw, bmi, dose):
    calc = calculate_dose(
        sex=sex, height_cm=height, weight_kg=weight, dose_g_per_kg=g_per_kg, policy=POLICY
    )
    assert calc.weight_basis_used == basis
    assert calc.dosing_weight_kg == kg
    if ibw is not None:
        assert calc.ideal_body_weight_kg == ibw
    if bmi is not None:
        assert round(calc.bmi, 1) == bmi
    assert calc.dose_g == dose
    assert calc.dose_g_per_day == dose


def test_the_dosing_weight_is_shown_to_2_decimals_but_never_rounded_before_it_is_multiplied():
    # The case: a 99 kg, 165 cm woman at 2.0 g/kg. Adjusted weight 73.7457 kg:
    # 2.0 x 73.7457 = 147.49 g, rounded to 145 g; the shown 73.75 kg would give 147.5, 150 g.
    calc = calculate_dose(
        sex="female", height_cm=165, weight_kg=99, dose_g_per_kg=2.0, policy=POLICY
    )
    assert calc.weight_basis_used == "adjusted"
    assert calc.dosing_weight_kg == 73.75
    assert calc.dose_g == 145


@settings(max_examples=300, deadline=None)
@given(
    sex=st.sampled_from(("female", "male", None)),
    height=st.one_of(st.none(), st.floats(140, 210)),
    weight=st.floats(30, 250),
    g_per_kg=st.sampled_from((0.4, 0.5, 1.0, 1.25, 1.6, 2.0, 2.4)),
    basis=st.sampled_from(("auto", "actual", "adjusted")),
)
def test_the_dose_never_depends_on_how_the_weight_is_displayed(
    sex, height, weight, g_per_kg, basis
):
    # The dose is the prescription times the dosing weight as the formula gives it, not as
    # it is shown: worked out here from the definition, independently of the code.
    calc = calculate_dose(
        sex=sex,
        height_cm=height,
        weight_kg=weight,
        dose_g_per_kg=g_per_kg,
        basis=basis,
        policy=POLICY,
    )
    exact = weight
    if calc.weight_basis_used == "adjusted":
        inches = height / 2.54
        ibw = (50.0 if sex == "male" else 45.5) + 2.3 * (inches - 60)
        exact = ibw + 0.4 * (weight - ibw)
    assert calc.dose_g == round_dose_g(g_per_kg * exact, 5)
    assert abs(calc.dosing_weight_kg - exact) <= 0.005 + 1e-9  # shown to 2 decimals


def test_short_patient_note_says_why_actual_weight_is_used():
    weight = dosing_weight(sex="female", height_cm=150, weight_kg=90, policy=POLICY)
    assert weight.basis_used == "actual"
    assert "152.4" in weight.note


@pytest.mark.parametrize(("sex", "base"), [("male", 50.0), ("female", 45.5)])
def test_devine_ideal_weight(sex, base):
    assert ideal_body_weight_kg(sex, 152.4) == pytest.approx(base)
    # 2.3 kg for each inch above 60 inches.
    assert ideal_body_weight_kg(sex, 152.4 + 2.54 * 10) == pytest.approx(base + 23)


def test_ideal_weight_needs_a_known_sex_and_a_height():
    with pytest.raises(DosingError) as err:
        ideal_body_weight_kg("other", 170)
    assert err.value.field == "sex"
    with pytest.raises(DosingError) as err:
        ideal_body_weight_kg("male", 0)
    assert err.value.field == "height_cm"


def test_body_mass_index():
    assert body_mass_index(80, 200) == pytest.approx(20.0)
    assert body_mass_index(95, 160) == pytest.approx(37.109375)


def test_bmi_exactly_at_the_threshold_uses_the_adjusted_weight():
    # 120 kg at 200 cm is a BMI of exactly 30: "at or above" adjusts.
    at = dosing_weight(sex="male", height_cm=200, weight_kg=120, policy=POLICY)
    below = dosing_weight(sex="male", height_cm=200, weight_kg=119.9, policy=POLICY)
    assert at.basis_used == "adjusted"
    ibw = ideal_body_weight_kg("male", 200)
    assert at.kg == round(ibw + 0.4 * (120 - ibw), 2)
    assert below.basis_used == "actual"
    assert below.kg == 119.9
    assert "under 30" in below.note and "BMI 29.9" in below.note


def test_height_exactly_60_inches_allows_the_adjusted_weight():
    at = dosing_weight(sex="female", height_cm=152.4, weight_kg=80, policy=POLICY)
    assert at.basis_used == "adjusted"
    assert at.kg == pytest.approx(45.5 + 0.4 * (80 - 45.5), abs=0.005)
    under = dosing_weight(sex="female", height_cm=152.3, weight_kg=80, policy=POLICY)
    assert under.basis_used == "actual"


def test_the_policy_factor_and_threshold_are_used():
    policy = SitePolicy(adjusted_weight_factor=0.3)
    weight = dosing_weight(sex="female", height_cm=160, weight_kg=95, policy=policy)
    assert weight.kg == pytest.approx(52.38 + 0.3 * (95 - 52.38), abs=0.01)
    # A stricter threshold keeps a BMI of 37.1 on the actual weight.
    strict = dosing_weight(
        sex="female", height_cm=160, weight_kg=95, policy=SitePolicy(adjusted_weight_bmi=40)
    )
    assert strict.basis_used == "actual"


def test_forced_actual_uses_the_actual_weight_even_when_obese():
    weight = dosing_weight(sex="female", height_cm=160, weight_kg=95, basis="actual", policy=POLICY)
    assert (weight.basis_used, weight.kg) == ("actual", 95)
    assert "regimen" in weight.note


def test_forced_adjusted_uses_the_adjusted_weight_below_the_bmi_threshold():
    weight = dosing_weight(sex="male", height_cm=180, weight_kg=80, basis="adjusted", policy=POLICY)
    ibw = ideal_body_weight_kg("male", 180)
    assert weight.basis_used == "adjusted"
    assert weight.kg == round(ibw + 0.4 * (80 - ibw), 2)


def test_forced_adjusted_never_doses_above_the_actual_weight():
    # 70 kg is under this man's ideal weight (74.99): the adjusted weight would exceed 70.
    weight = dosing_weight(sex="male", height_cm=180, weight_kg=70, basis="adjusted", policy=POLICY)
    assert (weight.basis_used, weight.kg) == ("actual", 70)
    assert "ideal" in weight.note


@pytest.mark.parametrize(
    ("sex", "height", "missing"),
    [(None, 160, "sex"), ("female", None, "height"), (None, None, "height")],
)
@pytest.mark.parametrize("basis", ["auto", "adjusted"])
def test_no_height_or_sex_means_actual_weight_with_the_reason(sex, height, missing, basis):
    weight = dosing_weight(sex=sex, height_cm=height, weight_kg=95, basis=basis, policy=POLICY)
    assert (weight.basis_used, weight.kg) == ("actual", 95)
    assert weight.ideal_body_weight_kg is None
    assert f"no {missing}" in weight.note
    if basis == "adjusted":
        assert "adjusted" in weight.note


def test_unknown_basis_and_bad_weight_are_refused():
    with pytest.raises(DosingError) as err:
        dosing_weight(sex="male", height_cm=180, weight_kg=80, basis="ideal", policy=POLICY)
    assert err.value.field == "basis"
    with pytest.raises(DosingError) as err:
        dosing_weight(sex="male", height_cm=180, weight_kg=0, policy=POLICY)
    assert err.value.field == "weight_kg"


@pytest.mark.parametrize(
    ("dose", "rounded"),
    [
        (69.43, 70),
        (87.5, 90),  # halves round up
        (82.4999999, 80),  # a genuine fraction under the half rounds down
        (82.5, 85),
        (72.49999999999999, 75),  # float dust of 72.5 is still the half
        (67.49, 65),
        (180.56, 180),
        (2, 5),  # never below one step
        (0, 5),
        (7.4, 5),
        (7.5, 10),
    ],
)
def test_round_dose_to_nearest_5_g(dose, rounded):
    assert round_dose_g(dose) == rounded


def test_round_dose_to_another_step():
    assert round_dose_g(71.3, 2.5) == 72.5
    assert round_dose_g(71.2, 2.5) == 70.0
    assert round_dose_g(70.6, 2.5) == 70.0
    assert round_dose_g(0.4, 2.5) == 2.5
    assert round_dose_g(dose=71.3, step=2.5) == 72.5  # the keyword names callers use


def test_round_dose_refuses_nonsense():
    with pytest.raises(DosingError):
        round_dose_g(-1)
    with pytest.raises(DosingError):
        round_dose_g(70, 0)


def test_float_dust_in_the_product_still_rounds_the_half_up():
    # 1.15 x 50 is 57.49999999999999 in floats: the half of 57.5 must give 60.
    calc = calculate_dose(sex=None, height_cm=None, weight_kg=50, dose_g_per_kg=1.15, policy=POLICY)
    assert calc.dose_g == 60


def test_policy_rounding_step_is_used():
    calc = calculate_dose(
        sex=None,
        height_cm=None,
        weight_kg=71.3,
        dose_g_per_kg=1.0,
        policy=SitePolicy(dose_rounding_g=2.5),
    )
    assert calc.dose_g == 72.5


def test_a_multi_day_course_splits_the_dose():
    calc = calculate_dose(
        sex="male",
        height_cm=175,
        weight_kg=120,
        dose_g_per_kg=2.0,
        days_per_course=3,
        policy=POLICY,
    )
    assert (calc.dose_g, calc.dose_g_per_day) == (180, 60)
    calc = calculate_dose(
        sex="female",
        height_cm=160,
        weight_kg=95,
        dose_g_per_kg=1.0,
        days_per_course=3,
        policy=POLICY,
    )
    assert calc.dose_g_per_day == 23.33


@pytest.mark.parametrize("days", [0, -1, 1.5])
def test_days_per_course_must_be_a_whole_positive_number(days):
    with pytest.raises(DosingError) as err:
        calculate_dose(
            sex=None,
            height_cm=None,
            weight_kg=70,
            dose_g_per_kg=1,
            days_per_course=days,
            policy=POLICY,
        )
    assert err.value.field == "days_per_course"


def _vials(plan):
    return {v.size_g: v.count for v in plan.vials}


def test_vial_plan_exact_with_fewest_vials():
    plan = vial_plan(70, [5, 10, 20])
    assert _vials(plan) == {20: 3, 10: 1}
    assert (plan.total_g, plan.waste_g, plan.vial_count) == (70, 0, 4)


def test_vial_plan_beats_greedy():
    # Greedy takes 25 + 5 + 5 + 5; two 20 g vials are fewer.
    plan = vial_plan(40, [5, 20, 25])
    assert _vials(plan) == {20: 2}


def test_vial_plan_with_no_exact_sum_takes_the_smallest_total_above():
    plan = vial_plan(72, [5, 10, 20])
    assert plan.total_g == 75
    assert plan.waste_g == 3
    assert _vials(plan) == {20: 3, 10: 1, 5: 1}


def test_vial_plan_at_the_smallest_total_takes_the_fewest_vials():
    plan = vial_plan(35, [10, 20])
    assert plan.total_g == 40
    assert _vials(plan) == {20: 2}


def test_vial_plan_with_fractional_sizes():
    plan = vial_plan(72.5, [2.5, 5, 10, 20])
    assert plan.total_g == 72.5
    assert plan.waste_g == 0
    assert _vials(plan) == {20: 3, 10: 1, 2.5: 1}
    assert plan.vials[0] == VialCount(20, 3)  # largest first


def test_vial_plan_for_a_dose_between_tenths():
    plan = vial_plan(69.43, [5, 10])
    assert plan.total_g == 70
    assert plan.waste_g == pytest.approx(0.57)


def test_vial_plan_sums_to_its_total():
    plan = vial_plan(187.5, [1, 2.5, 5, 10, 20])
    assert sum(v.size_g * v.count for v in plan.vials) == pytest.approx(plan.total_g)
    assert plan.total_g == 187.5


def test_vial_plan_is_fast_up_to_300_g():
    started = time.perf_counter()
    for dose in range(5, 301, 5):
        vial_plan(dose - 0.3, [1, 2.5, 5, 10, 20, 30])
    # Sixty plans; a slow search (exponential) would take far longer than this.
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("sizes", [[], [0], [-5], [0.25]])
def test_vial_plan_refuses_bad_sizes(sizes):
    with pytest.raises(DosingError) as err:
        vial_plan(70, sizes)
    assert err.value.field == "vial_sizes_g"


def test_intensity_per_28_days():
    assert intensity_g_per_kg_28d(1.0, 14) == 2.0
    assert intensity_g_per_kg_28d(2.0, 28) == 2.0
    assert intensity_g_per_kg_28d(1.0, 21) == pytest.approx(1.3333, abs=1e-4)


def test_max_dose_per_course_for_an_interval():
    assert max_dose_g_per_kg(28, POLICY) == pytest.approx(2.4)
    assert max_dose_g_per_kg(21, POLICY) == pytest.approx(1.8)
    assert max_dose_g_per_kg(42, POLICY) == pytest.approx(3.6)
    assert max_dose_g_per_kg(28, SitePolicy(max_intensity_g_per_kg_28d=2.0)) == pytest.approx(2.0)


def test_intensity_cap_is_inclusive():
    assert not exceeds_intensity_cap(2.4, 28, POLICY)
    assert not exceeds_intensity_cap(0.6, 7, POLICY)  # 2.4000000000000004 in floats
    assert exceeds_intensity_cap(2.41, 28, POLICY)
    assert exceeds_intensity_cap(1.25, 14, POLICY)
    assert not exceeds_intensity_cap(1.8, 21, POLICY)


def test_chair_minutes_with_a_doubling_ramp():
    # 70 g of a 10% product is 700 mL for a 70 kg patient; 0.5 mL/kg/h doubling every
    # 30 minutes up to 5.4 mL/kg/h: 35, 70, 140, 280 mL/h give 262.5 mL in 120 min, the
    # last 437.5 mL at 378 mL/h take 69.4 min; 190 min plus 30 for setup and observation.
    minutes = estimated_chair_minutes(
        dose_g=70, weight_kg=70, concentration_percent=10, max_rate_ml_per_kg_per_min=5.4 / 60
    )
    assert minutes == 220


def test_chair_minutes_at_a_constant_rate():
    # 10 g at 10% = 100 mL at 1 mL/min from the start: 100 min + 30.
    minutes = estimated_chair_minutes(
        dose_g=10,
        weight_kg=50,
        concentration_percent=10,
        max_rate_ml_per_kg_per_min=0.02,
        start_rate_ml_per_kg_per_min=0.02,
    )
    assert minutes == 130


def test_chair_minutes_when_the_volume_ends_during_the_first_step():
    # 10 mL at 0.5 mL/min (60 kg x 0.5 mL/kg/h): 20 min + 30.
    minutes = estimated_chair_minutes(
        dose_g=1, weight_kg=60, concentration_percent=10, max_rate_ml_per_kg_per_min=0.09
    )
    assert minutes == 50


def test_a_more_concentrated_product_takes_less_time():
    kwargs = {"dose_g": 70, "weight_kg": 70, "max_rate_ml_per_kg_per_min": 0.08}
    assert estimated_chair_minutes(concentration_percent=10, **kwargs) < estimated_chair_minutes(
        concentration_percent=5, **kwargs
    )


def test_chair_minutes_refuses_a_rate_per_hour_given_per_minute():
    with pytest.raises(DosingError) as err:
        estimated_chair_minutes(
            dose_g=70, weight_kg=70, concentration_percent=10, max_rate_ml_per_kg_per_min=5.4
        )
    assert err.value.field == "max_rate_ml_per_kg_per_min"
