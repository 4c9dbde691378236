"""Schemathesis over the OpenAPI document with every check on, logged in as an admin.

Every phase runs (examples, coverage, fuzzing, stateful) and every check Schemathesis has
judges each answer: no server error, every status code, content type, header and body as
documented, valid input accepted and invalid input refused, authentication enforced, 405
with a complete `Allow` for methods a path does not take, resources reachable after they
are made and gone after they are deleted, no answer slower than MAX_RESPONSE_SECONDS.

A failure passes only when KNOWN below explains it: a business rule no JSON Schema can state
(a day after today, fields that must agree), each with a request that shows it. Which of
them a bounded run happens to meet varies with the database's ids, so whether each is still
needed is shown by its request instead (test_each_known_failure_still_holds): valid by the
document and refused by the server, or the entry is stale and that test fails.

Bounded (EXAMPLES per operation and phase, a fixed seed) to run in about a minute per
database; TRACKER_FUZZ_EXAMPLES=100 for a longer hunt (a new failure there is a finding:
fix it, or explain it in KNOWN).
"""

import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import Status, events, from_schema
from sqlmodel import Session

from tests.builders.api import patient_with_regimen
from tests.opening_days import weekday_on_or_after
from tracker.services import staff, staff_admin
from tracker.services.actors import SYSTEM
from tracker.store.engine import session_scope
from tracker.store.models import ApiToken, StaffUser

EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "20"))
SEED = 17
# Generous: an answer slower than this is a finding even on a loaded CI machine.
MAX_RESPONSE_SECONDS = 10

# Each check Schemathesis has, all on; the time limit is a check of its own.
load_all_checks()
ALL_CHECKS = sorted([*CHECKS.get_all_names(), "max_response_time"])


@dataclass(frozen=True)
class Known:
    """Why a check fails on an operation, and a request that shows it still does: valid by
    the document, refused by the server (test_each_known_failure_still_holds)."""

    reason: str
    method: str
    path: str  # {pid}, {infusion}, {treatment}, {authorization}: a patient, a booked course,
    # a treatment, a funding authorisation from today
    body: dict[str, Any] | None = None
    query: dict[str, str] | None = None


D = date.today()
TODAY, TOMORROW, YESTERDAY = (
    D.isoformat(),
    (D + timedelta(1)).isoformat(),
    (D - timedelta(1)).isoformat(),
)
# Said once: the document states each field's type and range, not the day the request is
# made, nor how fields relate to each other or to what is stored.
AFTER_TODAY = "a day after today (the document cannot name today)"
POSITIVE = "positive_data_acceptance"

# Valid by the document and still refused (422 naming the field): business rules that JSON
# Schema cannot state. Every other failure of every check on every operation was fixed.
KNOWN: dict[tuple[str, str], Known] = {
    ("GET /api/v1/closures", POSITIVE): Known(
        "`to` before `from` (by default today), or more than three years after it",
        "GET",
        "/api/v1/closures",
        query={"from": TODAY, "to": YESTERDAY},
    ),
    ("POST /api/v1/patients", POSITIVE): Known(
        "a patient's own shortest interval above their longest, or either outside the site "
        f"policy's; a birth date is {AFTER_TODAY}",
        "POST",
        "/api/v1/patients",
        body={
            "mrn": "K-1",
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1970-01-01",
            "sex": None,
            "min_interval_days": 40,
            "max_interval_days": 30,
        },
    ),
    ("PATCH /api/v1/patients/{patient_id}", POSITIVE): Known(
        "the patient's own interval bounds, with the stored ones, out of order or outside the "
        "site policy's (its shortest interval is 14 days by default); a birth date after one "
        "of the patient's dated records",
        "PATCH",
        "/api/v1/patients/{pid}",
        body={"max_interval_days": 7},
    ),
    ("POST /api/v1/patients/{patient_id}/weights", POSITIVE): Known(
        "a weight more than 10% from the last one without confirm_weight_change (lb typed as "
        f"kg); measured on {AFTER_TODAY}",
        "POST",
        "/api/v1/patients/{pid}/weights",
        body={"measured_on": TODAY, "weight_kg": 140},
    ),
    ("POST /api/v1/patients/{patient_id}/regimens", POSITIVE): Known(
        "an interval outside the site policy's bounds or a dose above its intensity cap "
        "without override_reason; a product not in the catalogue; the patient's weight unknown",
        "POST",
        "/api/v1/patients/{pid}/regimens",
        body={"starts_on": TODAY, "dose_g_per_kg": 1, "interval_days": 100},
    ),
    ("POST /api/v1/patients/{patient_id}/assessments", POSITIVE): Known(
        "each measure's own range and whole numbers, a side for grip strength and none for the "
        f"others, an infusion of this patient; taken on {AFTER_TODAY} or before the birth date",
        "POST",
        "/api/v1/patients/{pid}/assessments",
        body={"taken_on": TODAY, "measure": "grip_vigorimeter", "value": 50, "timing": "clinic"},
    ),
    ("POST /api/v1/patients/{patient_id}/reviews", POSITIVE): Known(
        f"reviewed on {AFTER_TODAY} or before the birth date",
        "POST",
        "/api/v1/patients/{pid}/reviews",
        body={"reviewed_on": TOMORROW, "outcome": "continue"},
    ),
    ("POST /api/v1/patients/{patient_id}/authorizations", POSITIVE): Known(
        "ends before it starts, starts before the birth date, or runs over ten years",
        "POST",
        "/api/v1/patients/{pid}/authorizations",
        body={"payer": "P", "reference": "R", "starts_on": TODAY, "ends_on": YESTERDAY},
    ),
    ("PATCH /api/v1/authorizations/{authorization_id}", POSITIVE): Known(
        "the corrected period ends before it starts, starts before the birth date, or runs "
        "over ten years (checked with the stored days)",
        "PATCH",
        "/api/v1/authorizations/{authorization}",
        body={"ends_on": YESTERDAY},
    ),
    ("POST /api/v1/patients/{patient_id}/diagnosis", POSITIVE): Known(
        f"assessed or diagnosed on {AFTER_TODAY}; symptoms after the assessment; findings "
        "at odds (more nerves with a definite block than weak nerves); a day before birth; an "
        "onset after the first course given",
        "POST",
        "/api/v1/patients/{pid}/diagnosis",
        body={"assessed_on": TOMORROW},
    ),
    ("POST /api/v1/patients/{patient_id}/infusions", POSITIVE): Known(
        f"a booking before today or a course given {AFTER_TODAY}; the suite closed or the "
        "course outside its hours; a chair or product not on the site's lists; dose and lots "
        "that do not add up",
        "POST",
        "/api/v1/patients/{pid}/infusions",
        body={"scheduled_on": YESTERDAY},
    ),
    ("POST /api/v1/infusions/{infusion_id}/administer", POSITIVE): Known(
        f"given {AFTER_TODAY}; a dose implausible for the course's days; lots that do not add "
        "up to the dose; a product not in the catalogue",
        "POST",
        "/api/v1/infusions/{infusion}/administer",
        body={"given_on": TOMORROW, "dose_g": 70},
    ),
    ("POST /api/v1/infusions/{infusion_id}/reschedule", POSITIVE): Known(
        "moved to a day before today, a day the suite is closed, outside its hours or to a "
        "chair not on the site's list",
        "POST",
        "/api/v1/infusions/{infusion}/reschedule",
        body={"scheduled_on": YESTERDAY},
    ),
    ("POST /api/v1/patients/{patient_id}/other-treatments", POSITIVE): Known(
        'a trial drug or "other" without saying which (description); stopped before it '
        f"started; started or stopped {AFTER_TODAY}",
        "POST",
        "/api/v1/patients/{pid}/other-treatments",
        body={"kind": "other", "started_on": TODAY},
    ),
    ("POST /api/v1/other-treatments/{treatment_id}/stop", POSITIVE): Known(
        f"stopped before the treatment started or {AFTER_TODAY}",
        "POST",
        "/api/v1/other-treatments/{treatment}/stop",
        body={"stopped_on": TOMORROW},
    ),
    ("PUT /api/v1/opening-hours", POSITIVE): Known(
        "a day that opens at or after it closes; a holiday country or subdivision the "
        "`holidays` package does not know",
        "PUT",
        "/api/v1/opening-hours",
        body={"days": [{"opens": "10:00", "closes": "09:00"}] + [{}] * 6},
    ),
    ("PUT /api/v1/policy", POSITIVE): Known(
        "settings out of order with each other (shortest interval above the longest, review "
        "warning not shorter than the reviews, trough window not shorter than the shortest "
        "interval), a cap above the label's without a reason, bounds patients' own no "
        "longer fit",
        "PUT",
        "/api/v1/policy",
        body={"min_interval_days": 42, "max_interval_days": 14},
    ),
    ("POST /api/v1/closures", POSITIVE): Known(
        "a day before today (a day with courses booked in the suite is a 409)",
        "POST",
        "/api/v1/closures",
        body={"day": YESTERDAY, "reason": "training"},
    ),
    ("POST /api/v1/patients/{patient_id}/regimens/convert-to-sc", POSITIVE): Known(
        "converting from a day before today (the regimen current then is no longer the one "
        "to convert)",
        "POST",
        "/api/v1/patients/{pid}/regimens/convert-to-sc",
        body={"interval_days": 7, "on": YESTERDAY},
    ),
    ("POST /api/v1/admin/users", POSITIVE): Known(
        "the password rules: a common password, too few different characters, or the "
        "username or the system's name in it",
        "POST",
        "/api/v1/admin/users",
        body={"username": "new.user", "role": "viewer", "password": "password1234"},
    ),
}


def _fuzz_admin(engine) -> tuple[int, int, dict]:
    # An integration token: ending this account's sessions (which the fuzzer does) ends login
    # tokens only. Demoting or disabling itself and revoking this token are refused (409).
    with session_scope(engine) as session:
        admin = staff.create_user(
            session,
            actor=SYSTEM,
            username="fuzz.admin",
            role="admin",
            password=staff_admin.new_random_password(),
        )
        token, row = staff_admin.issue_integration_token(
            session, actor=SYSTEM, user_id=admin.id, name="schemathesis", days=1
        )
        return admin.id, row.id, {"Authorization": f"Bearer {token}"}


def _config(headers: dict) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            # No state kept between runs (Schemathesis' cache would replay what an earlier
            # run found): each run is what this seed and bound give.
            "cache": {"enabled": False},
            "headers": headers,
            "checks": {
                "enabled": True,
                "max_response_time": MAX_RESPONSE_SECONDS,
            },
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"max-steps": 10}},
        }
    )


class Run:
    """What one Schemathesis run did: cases per phase, checks run and failures found."""

    def __init__(self) -> None:
        self.cases: Counter[str] = Counter()
        self.checks: Counter[str] = Counter()
        self.failures: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.errors: list[str] = []

    def read(self, stream) -> "Run":
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                self.cases[str(event.phase)] += len(event.recorder.cases)
                for results in event.recorder.checks.values():
                    for result in results:
                        self.checks[result.name] += 1
                        info = result.failure_info
                        if result.status == Status.FAILURE and info is not None:
                            key = (info.failure.operation, result.name)
                            self.failures[key].append(
                                f"{info.failure.title}: {info.failure.message}\n{info.code_sample}"
                            )
            elif isinstance(event, events.NonFatalError | events.FatalError):
                self.errors.append(str(getattr(event, "info", event)))
        return self

    def summary(self, operations: int) -> str:
        known = [key for key in self.failures if key in KNOWN]
        return (
            f"Schemathesis: {operations} operations, {sum(self.cases.values())} cases "
            f"({dict(self.cases)}), {len(self.checks)} checks ({sum(self.checks.values())} "
            f"runs), {sum(map(len, self.failures.values()))} failures in "
            f"{len(self.failures)} (operation, check) pairs, {len(known)} of them among the "
            f"{len(KNOWN)} of KNOWN, {len(self.failures) - len(known)} unexplained"
        )


def test_every_answer_is_documented_and_every_check_passes(settings, committed_engine):
    # Every request really commits (one long transaction of savepoints slows PostgreSQL to a
    # crawl); committed_engine empties the tables afterwards. Run through Schemathesis' own
    # engine (the `st run` CLI's), which alone runs the coverage and stateful phases.
    from tracker.web.app import create_app

    app = create_app(settings, committed_engine)
    admin_id, token_id, headers = _fuzz_admin(committed_engine)
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers=headers, config=_config(headers)
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 45
    assert {label for label, _ in KNOWN} <= {operation.label for operation in operations}

    run = Run().read(from_schema(schema).execute())
    print(run.summary(len(operations)))

    assert run.errors == []
    assert sorted(run.checks) == ALL_CHECKS  # every check judged answers
    unexplained = {key: found for key, found in run.failures.items() if key not in KNOWN}
    assert unexplained == {}, "\n\n".join(
        f"{operation} / {check} ({len(found)}x):\n{found[0][:3000]}"
        for (operation, check), found in sorted(unexplained.items())
    )
    # The fuzzer could not lock itself out: still an active admin with a live token.
    with Session(committed_engine) as session:
        admin = session.get(StaffUser, admin_id)
        token = session.get(ApiToken, token_id)
        assert admin.role == "admin" and admin.is_active and token.revoked_at is None


def _request_schema(document: dict, schema: dict) -> jsonschema_rs.Draft202012Validator:
    # A part of the document, its references resolved within the whole document.
    root = {"components": document["components"], **schema}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def test_each_known_failure_still_holds(app, client, api_as):
    # An entry of KNOWN is needed while its request is valid by the document and refused by
    # the server; when the document is made to refuse it, or the server to take it, the
    # entry is stale and this fails.
    admin = api_as("admin", "known.admin")
    pid = patient_with_regimen(client, admin, starts_on=D - timedelta(days=30))
    booked = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=admin,
        json={
            "scheduled_on": weekday_on_or_after(D + timedelta(days=7)).isoformat(),
            "start_time": "09:00",
            "chair": "C1",
        },
    )
    treatment = client.post(
        f"/api/v1/patients/{pid}/other-treatments",
        headers=admin,
        json={"kind": "rituximab", "started_on": (D - timedelta(days=10)).isoformat()},
    )
    funded = client.post(
        f"/api/v1/patients/{pid}/authorizations",
        headers=admin,
        json={"payer": "P", "reference": "R", "starts_on": TODAY, "ends_on": TOMORROW},
    )
    assert booked.status_code == treatment.status_code == funded.status_code == 201, (
        booked.text,
        treatment.text,
        funded.text,
    )
    ids = {
        "pid": pid,
        "infusion": booked.json()["id"],
        "treatment": treatment.json()["id"],
        "authorization": funded.json()["id"],
    }
    document = app.openapi()
    for (label, check), known in KNOWN.items():
        assert check == POSITIVE and label == f"{known.method} {_template(known.path)}"
        operation = document["paths"][_template(known.path)][known.method.lower()]
        if known.body is not None:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            errors = [e.message for e in _request_schema(document, schema).iter_errors(known.body)]
            assert errors == [], f"{label}: the document refuses the example now: {errors}"
        for name, value in (known.query or {}).items():
            (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
            assert _request_schema(document, parameter["schema"]).is_valid(value), (label, name)
        answer = client.request(
            known.method,
            known.path.format(**ids),
            headers=admin,
            json=known.body,
            params=known.query,
        )
        assert answer.status_code == 422, f"{label}: the server takes the example now"


def _template(path: str) -> str:
    return path.format(
        pid="{patient_id}",
        infusion="{infusion_id}",
        treatment="{treatment_id}",
        authorization="{authorization_id}",
    )
