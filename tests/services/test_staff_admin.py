"""Finding an account by name, and the demo admin the demo command keeps."""

from datetime import timedelta

from tracker.services.passwords import verify_password
from tracker.services.staff import start_web_session
from tracker.services.staff_admin import find_user, list_users, put_demo_admin
from tracker.store.models import WebSession
from tracker.store.types import utcnow


def test_an_account_is_found_by_its_name_in_any_case(session, make_user):
    made = make_user("ann.nurse", "nurse")
    assert find_user(session, "  Ann.Nurse ") == made
    assert find_user(session, "nobody") is None


def test_the_demo_admin_is_made_then_given_a_new_password(session):
    put_demo_admin(session, username="demo-admin", password="first demo password")
    user = find_user(session, "demo-admin")
    assert user.role == "admin" and verify_password(user.password_hash, "first demo password")
    put_demo_admin(session, username="demo-admin", password="second demo password")
    assert find_user(session, "demo-admin").id == user.id
    assert verify_password(user.password_hash, "second demo password")


def test_live_sessions_leave_out_the_ended_the_expired_and_the_idle(session, make_user):
    nurse = make_user("nina.nurse", "nurse")
    now = utcnow()

    def opened(last_seen_minutes_ago: int) -> WebSession:
        _token, row = start_web_session(
            session, user=nurse, max_hours=12, ip_address=None, user_agent=None
        )
        row.last_seen_at = now - timedelta(minutes=last_seen_minutes_ago)
        return row

    opened(5)  # live
    opened(31)  # idle: refused at its next request, and not live
    opened(0).ended_at = now  # logged out
    opened(0).expires_at = now  # its time is up
    session.commit()
    counts = {r.user.username: r.live_sessions for r in list_users(session, idle_minutes=30)}
    assert counts["nina.nurse"] == 1
    assert {r.user.username: r.live_sessions for r in list_users(session, idle_minutes=60)}[
        "nina.nurse"
    ] == 2
