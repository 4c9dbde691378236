"""The tracker's words, once: every code the rules, the store, the API and the pages share.

Each vocabulary is a `StrEnum`, so a member compares equal to its code and is stored and
sent as it. Table check constraints are written from these (`sql_in`), so the database and
the code cannot disagree about which codes exist.
"""

from __future__ import annotations

from enum import StrEnum


class PatientStatus(StrEnum):
    """Where a patient stands: only active patients get flags and recommendations."""

    ACTIVE = "active"
    ON_HOLD = "on_hold"
    DISCHARGED = "discharged"


class CourseStatus(StrEnum):
    """An infusion course's state."""

    BOOKED = "booked"
    GIVEN = "given"
    CANCELLED = "cancelled"
    MISSED = "missed"


class CareSite(StrEnum):
    """Where a course is given (clinical rules 9): the infusion centre's chair, the patient's
    home with a visiting nurse, or the patient's home by the patient."""

    CHAIR = "chair"
    HOME_NURSE = "home_nurse"
    SELF = "self"


class Sex(StrEnum):
    """Sex as the ideal-weight formula needs it."""

    FEMALE = "female"
    MALE = "male"


class Side(StrEnum):
    """The side of a grip score."""

    LEFT = "left"
    RIGHT = "right"


class Timing(StrEnum):
    """When a score was taken relative to a course."""

    PRE_INFUSION = "pre_infusion"
    POST_INFUSION = "post_infusion"
    CLINIC = "clinic"


class Route(StrEnum):
    """How a regimen's immunoglobulin is given (section 9): intravenous or subcutaneous."""

    IV = "iv"
    SC = "sc"


class Source(StrEnum):
    """Who took a score (section 10): staff in clinic, or the patient at home."""

    CLINIC = "clinic"
    HOME = "home"


class MeasureCode(StrEnum):
    """The outcome measures of the clinical rules (section 2)."""

    GRIP_VIGORIMETER = "grip_vigorimeter"
    GRIP_DYNAMOMETER = "grip_dynamometer"
    MRC_SUM = "mrc_sum"
    RODS = "rods"
    INCAT = "incat"
    ONLS = "onls"
    WEAR_OFF_DAY = "wear_off_day"


class WeightBasis(StrEnum):
    """Which weight a regimen doses on."""

    AUTO = "auto"
    ACTUAL = "actual"
    ADJUSTED = "adjusted"


class ReviewOutcome(StrEnum):
    """What a treatment review decided; `stop` puts the patient on hold."""

    CONTINUE = "continue"
    CHANGE = "change"
    STOP = "stop"


class Decision(StrEnum):
    """What a person did with a recommended action."""

    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class FlagCode(StrEnum):
    """Something a person should look at, in the order the pages list them."""

    OVERDUE = "overdue"
    NEEDS_BOOKING = "needs_booking"
    BOOKING_OUTSIDE_WINDOW = "booking_outside_window"
    WANING_RESPONSE = "waning_response"
    REFRACTORY = "refractory"
    NO_RESPONSE = "no_response"
    REVIEW_DUE = "review_due"
    WEIGHT_STALE = "weight_stale"
    # Funding (section 8): kept as evaluated, like the clinical flags above.
    AUTHORIZATION_ENDING = "authorization_ending"
    AUTHORIZATION_MISSING = "authorization_missing"


class WaningPattern(StrEnum):
    """How a response wanes (section 5)."""

    END_OF_DOSE = "end_of_dose"
    PROGRESSIVE = "progressive"


class Action(StrEnum):
    """The one recommended action (section 6)."""

    ESCALATE_DOSE = "escalate_dose"
    SHORTEN_INTERVAL = "shorten_interval"
    MAX_DOSE_REACHED = "max_dose_reached"
    CONSIDER_TAPER = "consider_taper"
    CONSIDER_TRIAL_OFF = "consider_trial_off"


# Actions that propose no new regimen: accepting one records nothing, dismissing does.
ACTIONS_WITHOUT_REGIMEN = frozenset({Action.MAX_DOSE_REACHED, Action.CONSIDER_TRIAL_OFF})


class OtherTreatmentKind(StrEnum):
    """What kind of other treatment; a trial drug and "other" must say which in words."""

    CYCLOPHOSPHAMIDE = "cyclophosphamide"
    RITUXIMAB = "rituximab"
    TRIAL_DRUG = "trial_drug"
    OTHER = "other"

    @property
    def needs_description(self) -> bool:
        """True when the kind alone does not name the drug."""
        return self in (OtherTreatmentKind.TRIAL_DRUG, OtherTreatmentKind.OTHER)


class WorklistTab(StrEnum):
    """The worklist's tabs beyond one per flag."""

    ALL = "all"
    BOOKED_THIS_WEEK = "booked_this_week"
    TAPER_CANDIDATES = "taper_candidates"
    RECOMMENDATIONS = "recommendations"


def codes(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The codes of a vocabulary, in declaration order."""
    return tuple(member.value for member in vocabulary)


def sql_in(column: str, vocabulary: type[StrEnum], *, nullable: bool = False) -> str:
    """A check constraint's text: `column` holds one of the vocabulary's codes."""
    listed = ", ".join(f"'{code}'" for code in codes(vocabulary))
    test = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {test}" if nullable else test
