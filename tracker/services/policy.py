"""The site's clinical policy: stored as the values that differ from the defaults.

A change is checked whole (each value in its range, a cap above the label only with a
reason) and never re-evaluates the patients inside the request: it queues that for the
scheduler's next run (jobs/re_evaluation.py), which `tracker sweep` also honours.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from tracker.rules import (
    DISPLAY_SETTINGS,
    LABEL_MAX_INTENSITY_G_PER_KG_28D,
    PolicyError,
    SitePolicy,
    changed_settings,
    check_policy_change,
)
from tracker.rules.policy import BOOKING_SETTINGS
from tracker.schemas.policy import REASON_MAX_LENGTH
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Invalid
from tracker.services.site_settings import site_settings
from tracker.store.models import Patient, SitePolicyRow
from tracker.store.types import utcnow

RE_EVALUATION_QUEUED = "queued: every patient is re-evaluated by the scheduler's next run"
RE_EVALUATION_NOT_NEEDED = "not needed: no setting the evaluation reads was changed"


@dataclass(frozen=True)
class PolicyChange:
    """A policy change as stored: the policy in force and what happens to the evaluations."""

    policy: SitePolicy
    re_evaluation: str
    max_intensity_reason: str | None


@dataclass(frozen=True)
class DisplayUnits:
    """The units the site's pages show weights and heights in."""

    weight: str = "kg"
    height: str = "cm"


def load_policy(session: Session) -> SitePolicy:
    """The site policy in force (the defaults where nothing was changed)."""
    return site_settings(session).policy


def display_units(session: Session) -> DisplayUnits:
    """The units the site shows weights and heights in."""
    policy = load_policy(session)
    return DisplayUnits(weight=policy.weight_unit, height=policy.height_unit)


def max_intensity_reason(session: Session) -> str | None:
    """Why the site's intensity cap is above the label's, as given with the change."""
    row = session.get(SitePolicyRow, 1)
    return row.max_intensity_reason if row else None


def update_policy(
    session: Session, *, actor: Actor, changes: dict[str, Any], reason: str | None = None
) -> PolicyChange:
    """Change some policy values, checked as a whole; queue every patient's re-evaluation."""
    reason = _checked_reason(reason)
    current = load_policy(session)
    try:
        updated = SitePolicy.from_dict({**current.to_dict(), **changes})
        check_policy_change(current, updated, reason=reason)
    except PolicyError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    _check_patients_own_bounds(session, updated)
    defaults = SitePolicy().to_dict()
    values = {k: v for k, v in updated.to_dict().items() if defaults[k] != v}
    row = session.get(SitePolicyRow, 1)
    if row is None:
        row = SitePolicyRow(id=1)
        session.add(row)
    changed = changed_settings(current, updated)
    row.values = values
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    cap = updated.max_intensity_g_per_kg_28d
    if cap <= LABEL_MAX_INTENSITY_G_PER_KG_28D:
        row.max_intensity_reason = None
    elif "max_intensity_g_per_kg_28d" in changed:
        row.max_intensity_reason = reason
    if changed - DISPLAY_SETTINGS - BOOKING_SETTINGS:
        row.re_evaluation_queued_at = utcnow()
    audited = audit.diff(current.to_dict(), updated.to_dict())
    if reason:
        audited["reason"] = reason
    audit.record(
        session,
        actor=actor,
        action="policy.update",
        entity="site_policy",
        entity_id=1,
        changes=audited,
    )
    queued = row.re_evaluation_queued_at is not None
    return PolicyChange(
        policy=updated,
        re_evaluation=RE_EVALUATION_QUEUED if queued else RE_EVALUATION_NOT_NEEDED,
        max_intensity_reason=row.max_intensity_reason,
    )


def queued_re_evaluation(session: Session) -> datetime | None:
    """When a policy change queued every patient's re-evaluation, if one is waiting."""
    return session.exec(
        select(SitePolicyRow.re_evaluation_queued_at).where(SitePolicyRow.id == 1)
    ).first()


def clear_re_evaluation(session: Session, *, seen: datetime) -> None:
    """Mark the queued re-evaluation done, unless a later change queued another meanwhile."""
    session.execute(
        update(SitePolicyRow)
        .where(SitePolicyRow.id == 1, col(SitePolicyRow.re_evaluation_queued_at) <= seen)
        .values(re_evaluation_queued_at=None)
    )


def _checked_reason(reason: object) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str) or len(reason) > REASON_MAX_LENGTH:
        raise Invalid(
            f"reason must be text of at most {REASON_MAX_LENGTH} characters", field="reason"
        )
    return reason.strip() or None


def _check_patients_own_bounds(session: Session, policy: SitePolicy) -> None:
    # A patient's own shortest interval must still fit under the site's longest (and the
    # other way round), or that patient could no longer be evaluated.
    with_own = session.exec(
        select(Patient).where(
            or_(
                col(Patient.min_interval_days).is_not(None),
                col(Patient.max_interval_days).is_not(None),
            )
        )
    ).all()
    for patient in with_own:
        try:
            policy.with_patient_bounds(patient.min_interval_days, patient.max_interval_days)
        except PolicyError as exc:
            raise Invalid(
                f"patient {patient.mrn} has own interval bounds that clash: {exc.message}",
                field=exc.field,
            ) from exc
