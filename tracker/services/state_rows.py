"""Each patient's state row as evaluated: pure, so that the sweep's worker processes build
rows without the ORM (tracker.services.sweep_pool); tracker.services.patient_states
writes them."""

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from tracker.rules import CourseFact, Evaluation, PackedFacts, SitePolicy, evaluate_packed
from tracker.rules.expiry import packed_expires_on
from tracker.rules.vocabulary import CourseStatus, FlagCode

DETAIL_CHARS = 1000  # waning_detail and recommendation_reason are kept this long
# A stored state is re-evaluated at the latest after STATE_DAYS_MIN plus (patient id modulo
# STATE_DAYS_SPREAD) days, whatever rules.expiry finds (latest_expiry).
STATE_DAYS_MIN = 21
STATE_DAYS_SPREAD = 8


def latest_expiry(patient_id: int, today: date) -> date:
    """The latest day a state evaluated `today` is kept without re-evaluation.

    A guard against a calendar dependence rules.expiry does not know of: 21 to 28 days,
    spread by patient so that a cohort evaluated on one day does not all expire together.
    """
    return today + timedelta(days=STATE_DAYS_MIN + patient_id % STATE_DAYS_SPREAD)


def packed_state(
    patient_id: int, facts: PackedFacts, *, today: date, policy: SitePolicy
) -> tuple[Evaluation, dict[str, Any]]:
    """A patient's packed facts evaluated for today, and the patient_state row that stores
    it with the day it expires (pure: the sweep runs it in worker processes)."""
    evaluation = evaluate_packed(facts, on=today, policy=policy)
    expires = packed_expires_on(
        facts, evaluation, policy=policy, latest=latest_expiry(patient_id, today)
    )
    return evaluation, state_values(patient_id, evaluation, facts.bookings, expires)


def packed_states(
    batch: Sequence[tuple[int, PackedFacts]], today: date, policy: SitePolicy
) -> list[dict[str, Any]]:
    """The patient_state rows of a batch of (patient id, packed facts)."""
    return [packed_state(pid, facts, today=today, policy=policy)[1] for pid, facts in batch]


def state_values(
    patient_id: int,
    ev: Evaluation,
    courses: Iterable[CourseFact],
    expires_on: date | None = None,
) -> dict[str, Any]:
    """The patient_state row for an evaluation (`courses`: any of theirs; booked ones count;
    `expires_on`: the day it stops being true by the calendar, rules.expiry)."""
    flags = {f.code: f for f in ev.flags}
    waning = flags.get(FlagCode.WANING_RESPONSE)
    refractory = flags.get(FlagCode.REFRACTORY)
    no_response = flags.get(FlagCode.NO_RESPONSE)
    ending = flags.get(FlagCode.AUTHORIZATION_ENDING)
    missing = flags.get(FlagCode.AUTHORIZATION_MISSING)
    rec = ev.recommendation
    booked_days = [c.starts_on for c in courses if c.status == CourseStatus.BOOKED]
    return {
        "patient_id": patient_id,
        "status": ev.status,
        "evaluated_on": ev.on,
        "regimen_id": ev.regimen_id,
        "due_on": ev.due_on,
        "window_start": ev.window_start,
        "window_end": ev.window_end,
        "next_booking_id": ev.next_booking.id if ev.next_booking else None,
        "next_booking_on": ev.next_booking.starts_on if ev.next_booking else None,
        "last_booking_on": max(booked_days) if booked_days else None,
        "needs_booking_from": ev.needs_booking_from,
        "overdue_from": ev.overdue_from,
        "review_due_from": ev.review_due_from,
        "next_review_on": ev.next_review_on,
        "weight_stale_from": ev.weight_stale_from,
        "waning_patterns": ",".join(waning.patterns) if waning else None,
        "waning_detail": waning.detail[:DETAIL_CHARS] if waning else None,
        "refractory_detail": refractory.detail[:DETAIL_CHARS] if refractory else None,
        "no_response_detail": no_response.detail[:DETAIL_CHARS] if no_response else None,
        "recommendation_action": rec.action if rec else None,
        "proposed_interval_days": rec.proposed_interval_days if rec else None,
        "proposed_dose_g_per_kg": rec.proposed_dose_g_per_kg if rec else None,
        "recommendation_reason": rec.reason[:DETAIL_CHARS] if rec else None,
        "authorization_ending_on": ev.authorization_ending_on if ending else None,
        "authorization_ending_detail": ending.detail[:DETAIL_CHARS] if ending else None,
        "authorization_missing_on": ev.authorization_missing_on if missing else None,
        "authorization_missing_detail": missing.detail[:DETAIL_CHARS] if missing else None,
        "expires_on": expires_on,
    }
