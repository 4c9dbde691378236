"""What the logged-in user may do, decided once in Python and handed to every template as `can`.

Templates show a link or a form only when `can.<name>` is true; they never compare roles. Each
name is the least role of the routes it leads to (the same gates as `deps.PageNurse`,
`PagePharmacist` and `PageAdmin`); `tests/web/test_permissions.py` checks every name against
the role its routes actually require, so a button and its route cannot disagree.
"""

from dataclasses import dataclass, fields

from tracker.services.actors import ROLE_RANK


@dataclass(frozen=True)
class Can:
    """One flag per thing a page may offer; all false for nobody logged in."""

    log_infusions: bool = False  # the day's list and the log form (/log)
    record_weight: bool = False
    record_score: bool = False  # a clinic score of any measure (RODS, INCAT, ONLS...)
    see_home_address: bool = False  # the patient's home address, where a nurse visits
    book: bool = False  # book, reschedule and cancel infusions
    prescribe: bool = False  # a new regimen
    edit_patients: bool = False  # new patient, edit patient
    record_review: bool = False
    decide_recommendation: bool = False  # accept or dismiss
    record_diagnosis: bool = False
    record_other_treatments: bool = False
    record_authorizations: bool = False  # record and correct funding authorisations
    issue_calendar_feed: bool = False  # a patient's calendar feed address
    issue_diary_link: bool = False  # a patient's diary link (clinical rules 10)
    see_outbox: bool = False
    recall_lots: bool = False
    import_caseload: bool = False
    admin: bool = False  # staff accounts, tokens, the audit trail


# The least role for each permission, and a route it unlocks (checked by the test above).
NEEDS: dict[str, tuple[str, str]] = {
    "log_infusions": ("nurse", "GET /log"),
    "record_weight": ("nurse", "POST /patients/{patient_id}/weights"),
    "record_score": ("nurse", "POST /patients/{patient_id}/scores"),
    "see_home_address": ("nurse", "GET /nurses/week"),
    "book": ("pharmacist", "GET /patients/{patient_id}/book"),
    "prescribe": ("pharmacist", "GET /patients/{patient_id}/regimens/new"),
    "edit_patients": ("pharmacist", "GET /patients/{patient_id}/edit"),
    "record_review": ("pharmacist", "POST /patients/{patient_id}/reviews"),
    "decide_recommendation": ("pharmacist", "POST /patients/{patient_id}/recommendation/accept"),
    "record_diagnosis": ("pharmacist", "GET /patients/{patient_id}/diagnosis/new"),
    "record_other_treatments": ("pharmacist", "GET /patients/{patient_id}/other-treatments"),
    "record_authorizations": ("pharmacist", "GET /patients/{patient_id}/authorizations"),
    "issue_calendar_feed": ("pharmacist", "GET /patients/{patient_id}/calendar"),
    "issue_diary_link": ("pharmacist", "GET /patients/{patient_id}/diary"),
    "see_outbox": ("pharmacist", "GET /outbox"),
    "recall_lots": ("pharmacist", "GET /recall"),
    "import_caseload": ("pharmacist", "GET /import"),
    "admin": ("admin", "GET /admin/users"),
}

NOBODY = Can()


def can_for(role: str | None) -> Can:
    """The permissions of a staff role (`NOBODY` for no role or an unknown one)."""
    rank = ROLE_RANK.get(role or "")
    if rank is None:
        return NOBODY
    return Can(**{f.name: rank >= ROLE_RANK[NEEDS[f.name][0]] for f in fields(Can)})
