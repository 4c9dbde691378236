"""Schemathesis over the OpenAPI schema, logged in as an admin: no answer is a server error
and every documented answer matches its schema, for valid and for invalid input."""

import os
from traceback import format_exception

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import update

from tracker.services import staff, staff_admin
from tracker.services.actors import SYSTEM
from tracker.store.engine import session_scope
from tracker.store.models import ApiToken, StaffUser

# Per operation and kind (valid, invalid input); about 30 operations, so some 1,200 requests
# per database.
# TRACKER_FUZZ_EXAMPLES=500 for a longer hunt.
EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance]


def _fuzz_admin(engine) -> tuple[int, int, dict]:
    # An integration token: a login token would end when the fuzzer calls end-sessions on
    # this very account.
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


def test_no_server_error_and_every_answer_matches_the_schema(settings, committed_engine):
    # Every request really commits (one long transaction of savepoints slows PostgreSQL to a
    # crawl); committed_engine empties the tables afterwards. Driven with Hypothesis directly
    # rather than schemathesis' pytest plugin, whose lazy fixture loader does not run under
    # pytest 9 (it sets Function._nodeid).
    from tracker.web.app import create_app

    app = create_app(settings, committed_engine)
    admin_id, token_id, headers = _fuzz_admin(committed_engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    def restore_the_admin():
        # The fuzzer may demote, disable or revoke its own account: undo it before each call
        # so that every operation really runs as an admin.
        with committed_engine.begin() as connection:
            connection.execute(
                update(StaffUser)
                .where(StaffUser.id == admin_id)
                .values(is_active=True, role="admin")
            )
            connection.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=None)
            )

    failures = []
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings_(
            max_examples=2 * EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases)
        def exercise(case):
            restore_the_admin()
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # every failing operation is reported, not just the first
            failures.append(f"{operation.label}: " + "".join(format_exception(exc))[-3000:])
    assert failures == [], "\n\n".join(failures)
