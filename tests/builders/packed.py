"""The sweep's packed reading of patients, for tests that compare it with the full facts."""

import dataclasses

from tracker.rules import Evaluation, PackedFacts
from tracker.rules.authorizations import in_play
from tracker.services.packed_facts import load_packed
from tracker.services.policy import load_policy


def packed_of(session, patients, today) -> dict[int, PackedFacts]:
    """These patients' facts as a sweep batch (or a worker process) reads them for today."""
    keys = [(p.id, p.status, p.min_interval_days, p.max_interval_days, p.resumed_on)
            for p in patients]  # fmt: skip
    return load_packed(session.connection(), keys, today=today, policy=load_policy(session))


def as_swept(evaluation: Evaluation) -> Evaluation:
    """What evaluate_packed gives where evaluate gave `evaluation`: no cycle-by-cycle
    response, and figures only for the authorisations in play."""
    kept = {a.id for a in in_play([s.authorization for s in evaluation.authorizations],
                                  evaluation.on)}  # fmt: skip
    return dataclasses.replace(
        evaluation,
        response=None,
        authorizations=tuple(s for s in evaluation.authorizations if s.authorization.id in kept),
    )
