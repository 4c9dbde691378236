"""The pure clinical decision core: dates, doses and scores in, decisions out; no I/O."""

from tracker.rules.dosing import (
    DoseCalculation,
    DosingError,
    DosingWeight,
    VialCount,
    VialPlan,
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
from tracker.rules.evaluate import FLAG_ORDER, Evaluation, Flag, evaluate
from tracker.rules.facts import CourseFact, PatientFacts, RegimenFact, ScoreFact
from tracker.rules.measures import (
    MEASURES,
    Measure,
    ScoreError,
    improvement,
    is_better,
    validate_score,
)
from tracker.rules.policy import PolicyError, SitePolicy
from tracker.rules.prescription import (
    RegimenError,
    accepted_regimen,
    check_regimen,
    latest_weight,
    regimen_overrides_needed,
)
from tracker.rules.recommend import ACTIONS, Recommendation, recommend
from tracker.rules.response import ResponseAssessment, assess_response
from tracker.rules.window import ALWAYS, DueWindow, current_regimen, due_window

__all__ = [
    "RegimenError",
    "accepted_regimen",
    "check_regimen",
    "latest_weight",
    "regimen_overrides_needed",
    "ACTIONS",
    "ALWAYS",
    "FLAG_ORDER",
    "MEASURES",
    "CourseFact",
    "DoseCalculation",
    "DosingError",
    "DosingWeight",
    "DueWindow",
    "Evaluation",
    "Flag",
    "Measure",
    "PatientFacts",
    "PolicyError",
    "Recommendation",
    "RegimenFact",
    "ResponseAssessment",
    "ScoreError",
    "ScoreFact",
    "SitePolicy",
    "VialCount",
    "VialPlan",
    "assess_response",
    "body_mass_index",
    "calculate_dose",
    "current_regimen",
    "dosing_weight",
    "due_window",
    "estimated_chair_minutes",
    "evaluate",
    "exceeds_intensity_cap",
    "ideal_body_weight_kg",
    "improvement",
    "intensity_g_per_kg_28d",
    "is_better",
    "max_dose_g_per_kg",
    "recommend",
    "round_dose_g",
    "validate_score",
    "vial_plan",
]
