"""Checking the stored states against a fresh full evaluation (`tracker sweep --verify`).

The daily sweep keeps a state until it expires (rules.expiry); this is how one sees that
the states it kept are still what the patient page's evaluation (`rules.evaluate` on
`load_facts`) says today. On SQLite the same patients' kept score packs
(store.score_packs) are compared with their scores as they are now ("score_pack").
"""

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from tracker.rules import evaluate
from tracker.services.evaluation import SWEEP_BATCH, load_facts
from tracker.services.packed_facts import stale_packs
from tracker.services.policy import load_policy
from tracker.services.state_rows import state_values
from tracker.store.models import Patient, PatientState

# Not compared: when the row was written, for which day, and until when it is kept.
NOT_COMPARED = frozenset({"evaluated_at", "evaluated_on", "expires_on"})


@dataclass(frozen=True)
class StateDifference:
    """One patient whose stored state is not what a fresh evaluation says."""

    patient_id: int
    # "state" alone when the patient has no stored state; "score_pack" when their kept
    # score pack is not their scores
    fields: tuple[str, ...]


@dataclass(frozen=True)
class StateCheck:
    """What a check found."""

    on: date
    checked: int
    differences: list[StateDifference] = field(default_factory=list)

    def describe(self, shown: int = 10) -> str:
        """A few lines for the console."""
        lines = [
            f"checked {self.checked} patients for {self.on.isoformat()}: "
            f"{len(self.differences)} differ"
        ]
        lines += [
            f"  patient {d.patient_id}: {', '.join(d.fields)}" for d in self.differences[:shown]
        ]
        return "\n".join(lines)


def check_states(
    session: Session, *, on: date, sample: int | None = 2000, seed: int | None = None
) -> StateCheck:
    """Compare the stored states of a random sample of patients (None: every patient) with
    the full evaluation for day `on`. A state kept past its expiry counts as differing."""
    policy = load_policy(session)
    ids = list(session.exec(select(Patient.id).order_by(Patient.id)))
    if sample is not None and sample < len(ids):
        ids = sorted(random.Random(seed).sample(ids, sample))
    differences = []
    for start in range(0, len(ids), SWEEP_BATCH):
        chosen = ids[start : start + SWEEP_BATCH]
        patients = session.exec(select(Patient).where(col(Patient.id).in_(chosen))).all()
        facts = load_facts(session, patients)
        stale = stale_packs(session.connection(), chosen)
        stored = {
            s.patient_id: s.model_dump()
            for s in session.exec(
                select(PatientState).where(col(PatientState.patient_id).in_(chosen))
            )
        }
        for patient in patients:
            pid = patient.id
            assert pid is not None
            full = evaluate(facts[pid], on=on, policy=policy)
            expected = state_values(pid, full, facts[pid].courses)
            found = _differing(stored.get(pid), expected, on)
            if pid in stale:
                found += ("score_pack",)
            if found:
                differences.append(StateDifference(pid, found))
        session.expunge_all()
    differences.sort(key=lambda d: d.patient_id)
    return StateCheck(on=on, checked=len(ids), differences=differences)


def _differing(
    stored: dict[str, Any] | None, expected: dict[str, Any], on: date
) -> tuple[str, ...]:
    if stored is None:
        return ("state",)
    names = [k for k, v in expected.items() if k not in NOT_COMPARED and stored.get(k) != v]
    expires = stored.get("expires_on")
    if expires is None or expires <= on:
        names.append("expires_on")
    return tuple(names)
