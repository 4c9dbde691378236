"""Diagnosis: the EFNS/PNS 2010 criteria for MMN (section 7 of the clinical rules)."""

from __future__ import annotations

import calendar
import enum
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import NamedTuple

from tracker.rules.benefit import changes_in


class Classification(enum.StrEnum):
    """What the findings make of the diagnosis; `incomplete` when unknowns leave it open."""

    EXCLUDED = "excluded"
    DEFINITE = "definite"
    PROBABLE = "probable"
    NOT_MET = "not_met"
    INCOMPLETE = "incomplete"


# The classes a filling of the unknowns can give, in the order `possible` lists them.
CLASS_ORDER = (
    Classification.EXCLUDED,
    Classification.DEFINITE,
    Classification.PROBABLE,
    Classification.NOT_MET,
)


class FindingSource(enum.StrEnum):
    """Where a finding's value came from: a person recorded it, or the tracker derived it."""

    RECORDED = "recorded"
    DERIVED = "derived"


class CriterionStatus(enum.StrEnum):
    """Whether a criterion holds on the findings as they are."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Findings:
    """A diagnostic assessment's findings, each None when unknown, in section 7's order."""

    # clinical
    weak_nerves: int | None = None
    weakness_over_1_month: bool | None = None
    # nerve studies
    definite_block_nerves: int | None = None
    probable_block_segments: int | None = None
    sensory_conduction_normal: bool | None = None
    # supportive
    anti_gm1_igm_raised: bool | None = None
    csf_protein_raised: bool | None = None
    mri_plexus_t2: bool | None = None
    improved_after_ivig: bool | None = None
    # exclusions
    upper_motor_neuron_signs: bool | None = None
    marked_bulbar: bool | None = None
    sensory_beyond_minor_vibration: bool | None = None
    diffuse_symmetric_early_weakness: bool | None = None

    def unknowns(self) -> tuple[str, ...]:
        """The names of the findings that are unknown, in the canonical order."""
        return tuple(name for name in FINDINGS if getattr(self, name) is None)


FINDINGS: tuple[str, ...] = tuple(f.name for f in fields(Findings))
COUNT_FINDINGS = ("weak_nerves", "definite_block_nerves", "probable_block_segments")
SUPPORTIVE = ("anti_gm1_igm_raised", "csf_protein_raised", "mri_plexus_t2", "improved_after_ivig")
EXCLUSIONS = (
    "upper_motor_neuron_signs",
    "marked_bulbar",
    "sensory_beyond_minor_vibration",
    "diffuse_symmetric_early_weakness",
)
# The thresholds are 1 and 2, so 0, 1 and 2 are every count that tells classes apart.
COUNT_FILLINGS = (0, 1, 2)
BOOL_FILLINGS = (False, True)


def fillings(name: str) -> tuple[int, ...]:
    """The values an unknown finding is tried with."""
    return COUNT_FILLINGS if name in COUNT_FINDINGS else BOOL_FILLINGS


# ---- classification -------------------------------------------------------------------------


class _Summary(NamedTuple):
    """All the classification reads of the findings: counts capped at 2, two group totals."""

    weak_nerves: int
    weakness_over_1_month: bool
    definite_block_nerves: int
    probable_block_segments: int
    sensory_conduction_normal: bool
    supportive_true: int
    any_exclusion: bool


@functools.cache
def _classify(s: _Summary) -> Classification:
    # First that holds, as section 7 lists them.
    if s.any_exclusion:
        return Classification.EXCLUDED
    if (
        s.weak_nerves >= 2
        and s.weakness_over_1_month
        and s.definite_block_nerves >= 1
        and s.sensory_conduction_normal
    ):
        return Classification.DEFINITE
    if s.sensory_conduction_normal and (
        (s.weak_nerves >= 2 and s.probable_block_segments >= 2)
        or (s.weak_nerves >= 1 and s.probable_block_segments >= 1 and s.supportive_true >= 2)
    ):
        return Classification.PROBABLE
    return Classification.NOT_MET


def _capped(values: tuple[int, ...]) -> int:
    return min(values[0], 2)


def _same(values: tuple[int, ...]) -> bool:
    return bool(values[0])


def _true_count(values: tuple[int, ...]) -> int:
    return min(sum(values), 2)


def _any(values: tuple[int, ...]) -> bool:
    return any(values)


# The findings in groups, one per _Summary field, with what the classification reads of each.
# The groups share no finding, so a filling of the whole is any filling of each group.
_GROUPS: tuple[tuple[tuple[str, ...], Callable[[tuple[int, ...]], int]], ...] = (
    (("weak_nerves",), _capped),
    (("weakness_over_1_month",), _same),
    (("definite_block_nerves",), _capped),
    (("probable_block_segments",), _capped),
    (("sensory_conduction_normal",), _same),
    (SUPPORTIVE, _true_count),
    (EXCLUSIONS, _any),
)
_GROUP_OF = {name: i for i, (names, _) in enumerate(_GROUPS) for name in names}


def classify_known(findings: Findings) -> Classification:
    """The class of findings that are all known (ValueError when one is unknown)."""
    if findings.unknowns():
        raise ValueError(f"unknown findings: {', '.join(findings.unknowns())}")
    return _classify(
        _Summary._make(
            summarise(tuple(getattr(findings, n) for n in names)) for names, summarise in _GROUPS
        )
    )


def _group_fillings(
    group: int, findings: Findings, fixed: dict[str, int] | None = None
) -> Iterator[tuple[int, ...]]:
    """Every way of filling one group's unknowns: the values of its findings, in order."""
    names = _GROUPS[group][0]
    fixed = fixed or {}
    choices = [
        (fixed[n],)
        if n in fixed
        else (getattr(findings, n),)
        if getattr(findings, n) is not None
        else fillings(n)
        for n in names
    ]
    return itertools.product(*choices)


def _achievable(group: int, findings: Findings) -> tuple[int, ...]:
    summarise = _GROUPS[group][1]
    return tuple(sorted({summarise(values) for values in _group_fillings(group, findings)}))


@dataclass(frozen=True)
class Settlement:
    """The class when every filling of the unknowns agrees, else `incomplete`."""

    classification: Classification
    possible: tuple[Classification, ...]
    unknown: tuple[str, ...]


def settle(findings: Findings) -> Settlement:
    """Classify the findings, settling the unknowns by every way of filling them in."""
    # The classification reads each group only through its summary, so trying every
    # combination of the groups' achievable summaries is trying every filling, without the
    # 3^3 x 2^10 fillings of a blank assessment.
    options = [_achievable(g, findings) for g in range(len(_GROUPS))]
    classes = {_classify(_Summary._make(combo)) for combo in itertools.product(*options)}
    possible = tuple(c for c in CLASS_ORDER if c in classes)
    if len(possible) == 1:
        return Settlement(possible[0], possible, ())
    unknown = tuple(name for name in findings.unknowns() if _matters(name, findings, options))
    return Settlement(Classification.INCOMPLETE, possible, unknown)


def _matters(name: str, findings: Findings, options: list[tuple[int, ...]]) -> bool:
    """True when two fillings that differ in this finding alone give different classes."""
    group = _GROUP_OF[name]
    summarise = _GROUPS[group][1]
    pairs: set[tuple[int, int]] = set()
    for rest in _group_fillings(group, findings, {name: fillings(name)[0]}):
        index = _GROUPS[group][0].index(name)
        summaries = {
            summarise(rest[:index] + (value,) + rest[index + 1 :]) for value in fillings(name)
        }
        pairs.update(itertools.permutations(summaries, 2))
    others: list[tuple[int | None, ...]] = [*options[:group], (None,), *options[group + 1 :]]
    for a, b in pairs:
        for combo in itertools.product(*others):
            with_a = _Summary._make((*combo[:group], a, *combo[group + 1 :]))
            with_b = _Summary._make((*combo[:group], b, *combo[group + 1 :]))
            if _classify(with_a) != _classify(with_b):
                return True
    return False


# ---- derived findings -----------------------------------------------------------------------


def one_calendar_month_after(day: date) -> date:
    """The same day of the next month, clamped to that month's last day (Jan 31 -> Feb 28)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def weakness_over_1_month(symptom_onset_on: date | None, assessed_on: date) -> bool | None:
    """True when onset + one calendar month is on or before the assessment day (None: no onset)."""
    if symptom_onset_on is None:
        return None
    return one_calendar_month_after(symptom_onset_on) <= assessed_on


@dataclass(frozen=True)
class ScoreReading:
    """One recorded score, of any timing; (measure, side, source) is its series."""

    taken_on: date
    measure: str
    side: str | None
    value: float
    source: str = "clinic"


# A score counts as "after the first course" from the day after its start to 6 weeks after.
IMPROVEMENT_FROM_DAYS = 1
IMPROVEMENT_TO_DAYS = 42


def improved_after_ivig(
    scores: Iterable[ScoreReading], *, first_course_on: date | None, on: date
) -> bool | None:
    """Whether some series improved by its MCID after the first course (None: none can tell).

    Per series, the best score 1 to 42 days after the first course's start against the
    latest score on or before that start; scores after `on` are not read. Scores are taken
    in recorded order, so of two on one day the later recorded is the latest.
    """
    if first_course_on is None:
        return None
    changes = changes_in(
        (
            (score.taken_on.toordinal(), (score.measure, score.side, score.source), score.value)
            for score in scores
            if score.taken_on <= on
        ),
        baseline_on=first_course_on,
        first_day=first_course_on + timedelta(days=IMPROVEMENT_FROM_DAYS),
        last_day=first_course_on + timedelta(days=IMPROVEMENT_TO_DAYS),
    )
    if not changes:
        return None
    return any(change.improved for change in changes)


# ---- the whole answer -----------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One criterion in the clinician's words and whether the findings meet it."""

    code: str
    label: str
    kind: str  # clinical, nerve studies, supportive or exclusion
    status: CriterionStatus


# (code, label, kind, finding, threshold): a count meets its threshold; a bool is met when true
# (for an exclusion: the exclusion applies).
_CRITERIA = (
    (
        "weak_nerves_2",
        "Weakness in 2 or more nerve territories without sensory loss",
        "clinical",
        "weak_nerves",
        2,
    ),
    (
        "weak_nerves_1",
        "Weakness in at least 1 nerve territory without sensory loss",
        "clinical",
        "weak_nerves",
        1,
    ),
    (
        "weakness_over_1_month",
        "Weakness for 1 month or more",
        "clinical",
        "weakness_over_1_month",
        None,
    ),
    (
        "definite_block",
        "Definite motor conduction block in at least 1 nerve",
        "nerve studies",
        "definite_block_nerves",
        1,
    ),
    (
        "probable_block_2",
        "Probable motor conduction block in 2 or more segments",
        "nerve studies",
        "probable_block_segments",
        2,
    ),
    (
        "probable_block_1",
        "Probable motor conduction block in at least 1 segment",
        "nerve studies",
        "probable_block_segments",
        1,
    ),
    (
        "sensory_conduction_normal",
        "Normal sensory nerve conduction",
        "nerve studies",
        "sensory_conduction_normal",
        None,
    ),
    (
        "anti_gm1_igm_raised",
        "Raised anti-GM1 IgM antibodies",
        "supportive",
        "anti_gm1_igm_raised",
        None,
    ),
    (
        "csf_protein_raised",
        "Raised CSF protein (below 1 g/L)",
        "supportive",
        "csf_protein_raised",
        None,
    ),
    (
        "mri_plexus_t2",
        "Increased T2 signal of the brachial plexus on MRI",
        "supportive",
        "mri_plexus_t2",
        None,
    ),
    (
        "improved_after_ivig",
        "Objective improvement after IVIG",
        "supportive",
        "improved_after_ivig",
        None,
    ),
    (
        "upper_motor_neuron_signs",
        "Upper motor neuron signs (exclusion)",
        "exclusion",
        "upper_motor_neuron_signs",
        None,
    ),
    ("marked_bulbar", "Marked bulbar involvement (exclusion)", "exclusion", "marked_bulbar", None),
    (
        "sensory_beyond_minor_vibration",
        "Sensory loss beyond minor loss of vibration sense (exclusion)",
        "exclusion",
        "sensory_beyond_minor_vibration",
        None,
    ),
    (
        "diffuse_symmetric_early_weakness",
        "Diffuse symmetric weakness in the first weeks (exclusion)",
        "exclusion",
        "diffuse_symmetric_early_weakness",
        None,
    ),
)


def criteria(findings: Findings) -> tuple[Criterion, ...]:
    """Each criterion with met, not met or unknown, plus the count of supportive criteria."""
    out = []
    for code, label, kind, name, threshold in _CRITERIA:
        value = getattr(findings, name)
        if value is None:
            status = CriterionStatus.UNKNOWN
        else:
            met = value >= threshold if threshold is not None else bool(value)
            status = CriterionStatus.MET if met else CriterionStatus.NOT_MET
        out.append(Criterion(code, label, kind, status))
    supportive = [getattr(findings, n) for n in SUPPORTIVE]
    true, unknown = supportive.count(True), supportive.count(None)
    status = (
        CriterionStatus.MET
        if true >= 2
        else CriterionStatus.NOT_MET
        if true + unknown < 2
        else CriterionStatus.UNKNOWN
    )
    out.insert(
        11, Criterion("supportive_2", "At least 2 supportive criteria", "supportive", status)
    )
    return tuple(out)


@dataclass(frozen=True)
class Diagnosis:
    """The classification of one assessment on one day, with what it was built from."""

    classification: Classification
    possible: tuple[Classification, ...]
    unknown: tuple[str, ...]
    findings: Findings  # as used: recorded, else derived
    weakness_over_1_month_source: FindingSource | None
    improved_after_ivig_source: FindingSource | None
    derived_weakness_over_1_month: bool | None
    derived_improved_after_ivig: bool | None
    first_course_on: date | None
    onset_to_first_course_days: int | None
    criteria: tuple[Criterion, ...]


def _source(recorded: bool | None, derived: bool | None) -> FindingSource | None:
    if recorded is not None:
        return FindingSource.RECORDED
    return FindingSource.DERIVED if derived is not None else None


def diagnose(
    recorded: Findings,
    *,
    assessed_on: date,
    symptom_onset_on: date | None = None,
    first_course_on: date | None = None,
    scores: Iterable[ScoreReading] = (),
    on: date | None = None,
) -> Diagnosis:
    """Classify an assessment on day `on` (default the assessment day).

    Only the improvement after IVIG is derived on `on` (scores up to it, the first given
    course on or before it); the rest is as recorded on the assessment day. A recorded
    finding always wins over a derived one.
    """
    on = on or assessed_on
    first = first_course_on if first_course_on is not None and first_course_on <= on else None
    derived_month = weakness_over_1_month(symptom_onset_on, assessed_on)
    derived_improved = improved_after_ivig(scores, first_course_on=first, on=on)
    used = Findings(
        **{
            **{name: getattr(recorded, name) for name in FINDINGS},
            "weakness_over_1_month": _first_known(recorded.weakness_over_1_month, derived_month),
            "improved_after_ivig": _first_known(recorded.improved_after_ivig, derived_improved),
        }
    )
    settled = settle(used)
    return Diagnosis(
        classification=settled.classification,
        possible=settled.possible,
        unknown=settled.unknown,
        findings=used,
        weakness_over_1_month_source=_source(recorded.weakness_over_1_month, derived_month),
        improved_after_ivig_source=_source(recorded.improved_after_ivig, derived_improved),
        derived_weakness_over_1_month=derived_month,
        derived_improved_after_ivig=derived_improved,
        first_course_on=first,
        onset_to_first_course_days=(first - symptom_onset_on).days
        if first is not None and symptom_onset_on is not None
        else None,
        criteria=criteria(used),
    )


def _first_known(recorded: bool | None, derived: bool | None) -> bool | None:
    return recorded if recorded is not None else derived
