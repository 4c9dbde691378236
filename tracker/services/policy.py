"""The site's clinical policy: stored as the values that differ from the defaults."""

from sqlalchemy import or_
from sqlmodel import Session, col, select

from tracker.rules import PolicyError, SitePolicy
from tracker.services import audit
from tracker.services.actors import Actor
from tracker.services.errors import Invalid
from tracker.store.models import Patient, SitePolicyRow
from tracker.store.types import utcnow


def load_policy(session: Session) -> SitePolicy:
    """The site policy in force (the defaults where nothing was changed)."""
    row = session.get(SitePolicyRow, 1)
    return SitePolicy.from_dict(row.values) if row and row.values else SitePolicy()


def update_policy(session: Session, *, actor: Actor, changes: dict) -> SitePolicy:
    """Change some policy values; the whole policy is validated before anything is stored."""
    current = load_policy(session)
    try:
        updated = SitePolicy.from_dict({**current.to_dict(), **changes})
    except PolicyError as exc:
        raise Invalid(exc.message, field=exc.field) from exc
    _check_patients_own_bounds(session, updated)
    defaults = SitePolicy().to_dict()
    values = {k: v for k, v in updated.to_dict().items() if defaults[k] != v}
    row = session.get(SitePolicyRow, 1)
    if row is None:
        row = SitePolicyRow(id=1)
        session.add(row)
    before = current.to_dict()
    row.values = values
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    audit.record(session, actor=actor, action="policy.update", entity="site_policy",
                 entity_id=1, changes=audit.diff(before, updated.to_dict()))
    return updated


def _check_patients_own_bounds(session: Session, policy: SitePolicy) -> None:
    # A patient's own shortest interval must still fit under the site's longest (and the
    # other way round), or that patient could no longer be evaluated.
    with_own = session.exec(select(Patient).where(or_(
        col(Patient.min_interval_days).is_not(None),
        col(Patient.max_interval_days).is_not(None)))).all()
    for patient in with_own:
        try:
            policy.with_patient_bounds(patient.min_interval_days, patient.max_interval_days)
        except PolicyError as exc:
            raise Invalid(f"patient {patient.mrn} has own interval bounds that clash: "
                          f"{exc.message}", field=exc.field) from exc
