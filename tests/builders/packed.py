"""The sweep's packed reading of patients, for tests that compare it with the full facts."""

from tracker.rules import PackedFacts
from tracker.services.packed_facts import load_packed
from tracker.services.policy import load_policy


def packed_of(session, patients, today) -> dict[int, PackedFacts]:
    """These patients' facts as a sweep batch (or a worker process) reads them for today."""
    keys = [(p.id, p.status, p.min_interval_days, p.max_interval_days, p.resumed_on)
            for p in patients]  # fmt: skip
    return load_packed(session.connection(), keys, today=today, policy=load_policy(session))
