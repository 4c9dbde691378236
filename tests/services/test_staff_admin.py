"""Finding an account by name, and the demo admin the demo command keeps."""

from tracker.services.passwords import verify_password
from tracker.services.staff_admin import find_user, put_demo_admin


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
