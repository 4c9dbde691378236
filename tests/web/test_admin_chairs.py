"""The admin's page and API for the suite: chairs, weekly opening hours, closure days."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.pages import log_in, post_form
from tests.builders.rows import add_patient, book
from tracker.services import opening
from tracker.store.models import AuditEvent, Chair, ClosureDay

PAGE = "/admin/chairs"
TODAY = date.today()


@pytest.fixture
def admin_page(client, make_user):
    log_in(client, make_user, "admin")
    return client


def _actions(session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


def test_the_page_lists_chairs_hours_and_closures(admin_page):
    page = admin_page.get(PAGE)
    assert page.status_code == 200
    assert "C1" in page.text and 'name="opens_0" type="time" value="08:00"' in page.text
    assert 'name="opens_5" type="time" value=""' in page.text  # Saturday closed by default
    assert "No closure days ahead." in page.text


def test_an_admin_adds_renames_and_retires_a_chair(admin_page, session):
    added = post_form(admin_page, PAGE, PAGE, {"code": "C9", "name": "Window bay"})
    assert added.status_code == 303
    chair = session.exec(select(Chair).where(Chair.code == "C9")).one()
    assert chair.active and chair.name == "Window bay"
    again = post_form(admin_page, PAGE, PAGE, {"code": "c9", "name": "Other"})
    assert again.status_code == 409 and "taken by Window bay" in again.text
    bad = post_form(admin_page, PAGE, PAGE, {"code": "C 9/x", "name": ""})
    assert bad.status_code == 422 and 'id="e-new-code"' in bad.text
    renamed = post_form(admin_page, PAGE, f"{PAGE}/{chair.id}/rename", {"name": "Bay 9"})
    assert renamed.status_code == 303
    session.refresh(chair)
    assert chair.name == "Bay 9"
    retired = post_form(admin_page, PAGE, f"{PAGE}/{chair.id}/retire", {})
    assert retired.status_code == 303
    session.refresh(chair)
    assert not chair.active
    assert "retired" in admin_page.get(PAGE).text
    actions = _actions(session)
    assert {"chair.create", "chair.rename", "chair.retire"} <= set(actions)


def test_a_chair_with_bookings_ahead_is_not_retired(admin_page, session):
    patient = add_patient(session, "RET-1")
    book(session, patient, TODAY + timedelta(days=10), chair_code="C2")
    c2 = session.exec(select(Chair).where(Chair.code == "C2")).one()
    refused = post_form(admin_page, PAGE, f"{PAGE}/{c2.id}/retire", {})
    assert refused.status_code == 409
    assert "1 course booked from today on" in refused.text
    session.refresh(c2)
    assert c2.active


def test_an_admin_sets_the_weeks_hours_and_the_holiday_country(admin_page, session):
    form = {f"{edge}_{d}": "" for d in range(7) for edge in ("opens", "closes")}
    form |= {
        "opens_1": "08:00",
        "closes_1": "16:00",
        "opens_5": "09:00",
        "closes_5": "13:00",
        "holiday_country": "gb",
        "holiday_subdivision": "",
    }
    saved = post_form(admin_page, PAGE, f"{PAGE}/hours", form)
    assert saved.status_code == 303
    week = opening.weekly_hours(session)
    assert week[0] is None and str(week[1]) == "08:00–16:00" and str(week[5]) == "09:00–13:00"
    assert opening.site_calendar(session).holiday_country == "GB"
    page = admin_page.get(PAGE).text
    assert "Public holidays (GB)" in page
    assert "opening.update" in _actions(session)
    backwards = post_form(
        admin_page, PAGE, f"{PAGE}/hours", form | {"opens_2": "17:00", "closes_2": "09:00"}
    )
    assert backwards.status_code == 422 and "is not before" in backwards.text
    half = post_form(admin_page, PAGE, f"{PAGE}/hours", form | {"opens_3": "09:00"})
    assert half.status_code == 422 and "or neither" in half.text
    nowhere = post_form(admin_page, PAGE, f"{PAGE}/hours", form | {"holiday_country": "XX"})
    assert nowhere.status_code == 422 and "no public holidays are known" in nowhere.text
    # Nothing refused was kept: Wednesday stays closed as saved first, the country GB.
    assert opening.weekly_hours(session)[2] is None
    assert opening.site_calendar(session).holiday_country == "GB"


def test_an_admin_closes_the_suite_on_a_day_and_opens_it_again(admin_page, session):
    day = TODAY + timedelta(days=20)
    closed = post_form(
        admin_page, PAGE, f"{PAGE}/closures", {"day": day.isoformat(), "reason": "fire drill"}
    )
    assert closed.status_code == 303
    (row,) = session.exec(select(ClosureDay)).all()
    assert row.day == day and row.reason == "fire drill"
    assert "fire drill" in admin_page.get(PAGE).text
    twice = post_form(
        admin_page, PAGE, f"{PAGE}/closures", {"day": day.isoformat(), "reason": "again"}
    )
    assert twice.status_code == 409 and "closed already" in twice.text
    blank = post_form(admin_page, PAGE, f"{PAGE}/closures", {"day": day.isoformat(), "reason": ""})
    assert blank.status_code == 422
    reopened = post_form(admin_page, PAGE, f"{PAGE}/closures/{row.id}/delete", {})
    assert reopened.status_code == 303
    assert session.exec(select(ClosureDay)).all() == []
    assert {"closure.create", "closure.delete"} <= set(_actions(session))


def test_a_closure_is_refused_on_a_day_past_or_with_courses_booked_in_the_suite(
    admin_page, session
):
    # Both were accepted: the bookings stayed on a closed day, flagged nowhere.
    day = TODAY + timedelta(days=20)
    patient = add_patient(session, "CLOSE-1")
    book(session, patient, day - timedelta(days=1), chair_code="C2", days=2)  # runs into it
    session.flush()
    url = f"{PAGE}/closures"
    booked = post_form(admin_page, PAGE, url, {"day": day.isoformat(), "reason": "training"})
    assert booked.status_code == 409, booked.status_code
    assert "1 course is booked in the suite" in booked.text and "C2 09:30" in booked.text
    past = TODAY - timedelta(days=1)
    earlier = post_form(admin_page, PAGE, url, {"day": past.isoformat(), "reason": "training"})
    assert earlier.status_code == 422 and "in the past" in earlier.text
    assert session.exec(select(ClosureDay)).all() == []
    free = day + timedelta(days=1)
    assert (
        post_form(
            admin_page, PAGE, url, {"day": free.isoformat(), "reason": "training"}
        ).status_code
        == 303
    )


def test_other_roles_cannot_manage_the_suite(client, make_user):
    log_in(client, make_user, "pharmacist")
    assert client.get(PAGE).status_code == 403


@pytest.fixture
def admin_api(api_as):
    return api_as("admin", "api.admin")


def test_the_api_reads_and_replaces_the_weeks_hours(client, admin_api, api_as):
    viewer = api_as("viewer", "api.viewer")
    week = client.get("/api/v1/opening-hours", headers=viewer).json()
    assert [d["opens"] for d in week["days"]] == ["08:00"] * 5 + [None, None]
    assert week["days"][0]["name"] == "Monday" and week["holiday_country"] == ""
    body = {"days": [{"opens": "07:30", "closes": "19:00"}] * 6 + [{}], "holiday_country": "NL"}
    assert client.put("/api/v1/opening-hours", headers=viewer, json=body).status_code == 403
    put = client.put("/api/v1/opening-hours", headers=admin_api, json=body)
    assert put.status_code == 200, put.text
    assert put.json()["days"][5]["closes"] == "19:00" and put.json()["days"][6]["opens"] is None
    bad = client.put(
        "/api/v1/opening-hours", headers=admin_api, json=body | {"days": body["days"][:6]}
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] == ["body", "days"]
    backwards = client.put(
        "/api/v1/opening-hours",
        headers=admin_api,
        json=body | {"days": [{"opens": "18:00", "closes": "08:00"}] + body["days"][1:]},
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"][:3] == ["body", "days", 0]


def test_the_api_lists_own_closures_and_public_holidays(client, admin_api):
    put = client.put(
        "/api/v1/opening-hours",
        headers=admin_api,
        json={
            "days": [{"opens": "08:00", "closes": "18:00"}] * 5 + [{}, {}],
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
        },
    )
    assert put.status_code == 200, put.text
    made = client.post(
        "/api/v1/closures",
        headers=admin_api,
        json={"day": "2031-12-23", "reason": "move to the new wing"},
    )
    assert made.status_code == 201 and made.json()["kind"] == "site"
    assert (
        client.post(
            "/api/v1/closures", headers=admin_api, json={"day": "2031-12-23", "reason": "again"}
        ).status_code
        == 409
    )
    listed = client.get("/api/v1/closures?from=2031-12-20&to=2031-12-31", headers=admin_api).json()
    assert [(c["day"], c["kind"]) for c in listed] == [
        ("2031-12-23", "site"),
        ("2031-12-25", "holiday"),
        ("2031-12-26", "holiday"),
    ]
    assert (
        client.get("/api/v1/closures?from=2031-12-20&to=2031-01-01", headers=admin_api).status_code
        == 422
    )
    removed = client.delete(f"/api/v1/closures/{made.json()['id']}", headers=admin_api)
    assert removed.status_code == 200 and removed.json()["day"] == "2031-12-23"
    assert (
        client.delete(f"/api/v1/closures/{made.json()['id']}", headers=admin_api).status_code == 404
    )
