"""Funding authorisations through the public API (clinical rules 8), sentence by sentence,
on SQLite and PostgreSQL.

Every patient here is a man of 178 cm and 70 kg on 1 g/kg every 28 days: 70 g a course.
Courses are booked without a chair; the suite is open every day here, since a booking must
lie in its hours chair or no chair.
"""

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from tests.builders.api import give, iso, patient_with_regimen
from tests.opening_days import open_every_day
from tracker.formats.display import date_text
from tracker.services.evaluation import refresh_all
from tracker.store.models import AuditEvent, Infusion

T = date.today()
LOT = [{"lot_number": "P100", "vials": 2, "size_g": 40}]


def d(n: int) -> str:
    return iso(T + timedelta(days=n))


def shown(n: int) -> str:
    """The day n days from T as messages write it ("04 Dec 2026")."""
    return date_text(T + timedelta(days=n))


@pytest.fixture(autouse=True)
def _open_every_day(session):
    open_every_day(session)


@pytest.fixture
def pharmacist(api_as):
    return api_as("pharmacist")


@pytest.fixture
def require(client, api_as):
    """Make the site require authorisations (an admin's policy change): called once a test's
    history is recorded, since from then on every course given needs cover too."""
    admin = api_as("admin")

    def change() -> None:
        answer = client.put("/api/v1/policy", headers=admin, json={"authorizations_required": True})
        assert answer.status_code == 200, answer.text
        assert answer.json()["authorizations_required"] is True

    return change


def authorize(client, headers, pid, reference, starts, ends, **limits) -> dict:
    answer = client.post(
        f"/api/v1/patients/{pid}/authorizations",
        headers=headers,
        json={
            "payer": "NHS England",
            "reference": reference,
            "starts_on": d(starts),
            "ends_on": d(ends),
            **limits,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def on_time(client, headers, mrn, *, given=4) -> int:
    """A patient whose regimen started 120 days ago, with courses given every 28 days up to
    28 days ago (`given` of them, the last 28 days ago): due today."""
    pid = patient_with_regimen(client, headers, mrn=mrn, starts_on=T - timedelta(days=120))
    for k in range(given, 0, -1):
        give(client, headers, pid, T - timedelta(days=28 * k))
    return pid


def book(client, headers, pid, day, **extra):
    return client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=headers,
        json={"scheduled_on": d(day), **extra},
    )


def figures(client, headers, pid, on=None) -> dict[str, dict]:
    query = f"?on={d(on)}" if on is not None else ""
    answer = client.get(f"/api/v1/patients/{pid}/authorizations{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return {a["reference"]: a for a in answer.json()}


def flags(client, headers, pid, on=None) -> set[str]:
    query = f"?on={d(on)}" if on is not None else ""
    body = client.get(f"/api/v1/patients/{pid}/schedule{query}", headers=headers).json()
    return {f["code"] for f in body["flags"]}


# --- recording -------------------------------------------------------------------------


def test_an_authorisation_is_recorded_with_its_limits_and_read_back(client, pharmacist, api_as):
    pid = on_time(client, pharmacist, "AU-1", given=1)
    made = authorize(client, pharmacist, pid, "PA-1", -30, 335, approved_g=840)
    assert made["id"] and made["approved_g"] == 840 and made["approved_courses"] is None
    assert (made["used_g"], made["used_courses"], made["remaining_g"]) == (70, 1, 770)
    (read,) = client.get(f"/api/v1/patients/{pid}/authorizations", headers=api_as("viewer")).json()
    assert set(read) == {
        "id",
        "patient_id",
        "payer",
        "reference",
        "starts_on",
        "ends_on",
        "approved_g",
        "approved_courses",
        "used_g",
        "used_courses",
        "booked_g",
        "booked_courses",
        "remaining_g",
        "remaining_courses",
        "projected_exhausted_on",
    }
    assert (read["payer"], read["starts_on"], read["ends_on"]) == ("NHS England", d(-30), d(335))
    assert read["remaining_courses"] is None  # no limit in courses


def test_an_authorisation_ending_before_it_starts_is_a_422_naming_ends_on(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-2", given=0)
    answer = client.post(
        f"/api/v1/patients/{pid}/authorizations",
        headers=pharmacist,
        json={"payer": "Aetna", "reference": "X", "starts_on": d(10), "ends_on": d(9)},
    )
    assert answer.status_code == 422
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", "ends_on"] and "before" in detail["msg"]
    assert client.get(f"/api/v1/patients/{pid}/authorizations", headers=pharmacist).json() == []


def test_nurses_and_viewers_read_but_only_pharmacists_record(client, pharmacist, api_as):
    pid = on_time(client, pharmacist, "AU-3", given=0)
    body = {"payer": "P", "reference": "R", "starts_on": d(0), "ends_on": d(10)}
    for role in ("viewer", "nurse"):
        headers = api_as(role)
        url = f"/api/v1/patients/{pid}/authorizations"
        assert client.post(url, headers=headers, json=body).status_code == 403
        assert client.get(url, headers=headers).status_code == 200


def test_a_correction_changes_only_what_is_sent_and_is_audited(client, pharmacist, session):
    pid = on_time(client, pharmacist, "AU-4", given=1)
    made = authorize(client, pharmacist, pid, "PA-4", -30, 100, approved_g=300, approved_courses=4)
    answer = client.patch(
        f"/api/v1/authorizations/{made['id']}",
        headers=pharmacist,
        json={"ends_on": d(200), "approved_courses": None},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ends_on"], body["approved_courses"], body["approved_g"]) == (d(200), None, 300)
    entry = session.exec(
        select(AuditEvent).where(AuditEvent.action == "authorization.update")
    ).one()
    assert entry.changes == {"ends_on": [d(100), d(200)], "approved_courses": [4, None]}
    refused = client.patch(
        f"/api/v1/authorizations/{made['id']}", headers=pharmacist, json={"starts_on": d(201)}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "ends_on",
    ]
    cleared = client.patch(
        f"/api/v1/authorizations/{made['id']}", headers=pharmacist, json={"reference": None}
    )
    assert cleared.status_code == 422
    assert client.patch(
        "/api/v1/authorizations/999999", headers=pharmacist, json={}
    ).status_code == (404)


# --- charging, used, booked, remaining ------------------------------------------------


def test_courses_are_charged_to_the_earliest_ending_authorisation_with_room(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-5")  # given 112, 84, 56 and 28 days ago
    authorize(client, pharmacist, pid, "SHORT", -150, 10, approved_g=200)
    authorize(client, pharmacist, pid, "LONG", -150, 200, approved_g=700, approved_courses=10)
    assert book(client, pharmacist, pid, 1, dose_g=80).status_code == 201  # planned 80 g
    assert book(client, pharmacist, pid, 29).status_code == 201  # the regimen's 70 g
    got = figures(client, pharmacist, pid)
    # SHORT takes the first two (140 g); the third needs 70 g and SHORT has 60 left: LONG.
    # The booking of 80 g does not fit SHORT either.
    short, long_ = got["SHORT"], got["LONG"]
    assert (short["used_g"], short["used_courses"], short["booked_courses"]) == (140, 2, 0)
    assert (short["remaining_g"], short["remaining_courses"]) == (60, None)
    assert (long_["used_g"], long_["used_courses"]) == (140, 2)
    assert (long_["booked_g"], long_["booked_courses"]) == (150, 2)
    assert (long_["remaining_g"], long_["remaining_courses"]) == (410, 6)
    # Projected after the last booking (29 days on) every 28 days at 70 g: 410 g last until
    # the sixth projected course, 57 + 5 x 28 = 197 days on (before LONG ends, day 200).
    assert long_["projected_exhausted_on"] == d(197)
    assert short["projected_exhausted_on"] is None
    # SHORT ends in 10 days, but LONG is already in place: no flag.
    assert "authorization_ending" not in flags(client, pharmacist, pid)


def test_on_a_past_day_later_courses_count_as_booked(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-6")
    authorize(client, pharmacist, pid, "PA-6", -150, 200, approved_g=1000)
    then = figures(client, pharmacist, pid, on=-60)["PA-6"]
    assert (then["used_courses"], then["booked_courses"]) == (2, 2)
    assert (then["used_g"], then["booked_g"]) == (140, 140)
    now = figures(client, pharmacist, pid)["PA-6"]
    assert (now["used_courses"], now["booked_courses"], now["remaining_g"]) == (4, 0, 720)


def test_remaining_goes_below_zero_when_an_override_takes_more(client, pharmacist, require):
    pid = on_time(client, pharmacist, "AU-7")
    authorize(client, pharmacist, pid, "PA-7", -150, 100, approved_g=300, approved_courses=4)
    require()
    answer = book(client, pharmacist, pid, 1, override_reason="approval on its way")
    assert answer.status_code == 201, answer.text
    got = figures(client, pharmacist, pid)["PA-7"]
    assert (got["remaining_g"], got["remaining_courses"]) == (-50, -1)  # the shortfall


# --- the projection and authorization_ending ------------------------------------------


def test_ending_from_30_days_before_ends_on_in_the_schedule(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-8")
    authorize(client, pharmacist, pid, "PA-8", -150, 40)
    assert "authorization_ending" not in flags(client, pharmacist, pid)  # 40 days to go
    assert "authorization_ending" not in flags(client, pharmacist, pid, on=9)
    assert "authorization_ending" in flags(client, pharmacist, pid, on=10)
    assert "authorization_ending" in flags(client, pharmacist, pid, on=40)  # its last day
    assert "authorization_ending" not in flags(client, pharmacist, pid, on=41)  # not in force


def test_ending_when_projected_to_run_out_within_30_days(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-9")  # 280 g used; due today
    authorize(client, pharmacist, pid, "PA-9", -150, 300, approved_g=350)
    got = figures(client, pharmacist, pid)["PA-9"]
    # Projected today (350 g, not over) and in 28 days (420 g, over).
    assert got["projected_exhausted_on"] == d(28)
    assert "authorization_ending" in flags(client, pharmacist, pid)
    roomy = on_time(client, pharmacist, "AU-9B")
    authorize(client, pharmacist, roomy, "PA-9B", -150, 300, approved_g=420)
    assert figures(client, pharmacist, roomy)["PA-9B"]["projected_exhausted_on"] == d(56)
    assert "authorization_ending" not in flags(client, pharmacist, roomy)


def test_a_renewal_already_in_place_silences_ending(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-10")
    authorize(client, pharmacist, pid, "OLD", -150, 20)
    assert "authorization_ending" in flags(client, pharmacist, pid)
    authorize(client, pharmacist, pid, "RENEWAL", 21, 385)  # from the day after
    assert "authorization_ending" not in flags(client, pharmacist, pid)


def test_the_funding_tabs_count_and_order_by_the_day_the_cause_bites(
    client, pharmacist, session, require
):
    ends_20 = on_time(client, pharmacist, "AU-W1")
    authorize(client, pharmacist, ends_20, "E20", -150, 20)
    runs_out = on_time(client, pharmacist, "AU-W2")
    authorize(client, pharmacist, runs_out, "R28", -150, 300, approved_g=350)
    ends_5 = on_time(client, pharmacist, "AU-W3")
    authorize(client, pharmacist, ends_5, "E5", -150, 5)
    # Missing: nothing covers today's due course (T), or a booking in 3 days (T+3).
    uncovered_today = on_time(client, pharmacist, "AU-W4")
    authorize(client, pharmacist, uncovered_today, "PAST", -150, -1)
    booked_later = on_time(client, pharmacist, "AU-W5")
    authorize(client, pharmacist, booked_later, "TILL2", -150, 2)
    require()
    assert book(client, pharmacist, booked_later, 3, override_reason="asked").status_code == 201
    refresh_all(session, today=T)  # the policy change's re-evaluation
    session.flush()

    def tab(code):
        answer = client.get(f"/api/v1/worklist?flag={code}&limit=50", headers=pharmacist).json()
        return answer["total"], [i["patient_id"] for i in answer["items"]]

    # E5 bites in 5 days, E20 in 20, R28 in 28; TILL2 itself ends in 2 (and is not renewed).
    assert tab("authorization_ending") == (4, [booked_later, ends_5, ends_20, runs_out])
    assert tab("authorization_missing") == (2, [uncovered_today, booked_later])
    items = client.get("/api/v1/worklist?flag=authorization_ending", headers=pharmacist).json()
    assert [i["authorization_ending_on"] for i in items["items"]] == [d(2), d(5), d(20), d(28)]


# --- authorization_missing -------------------------------------------------------------


def test_missing_only_when_the_site_requires_authorisations(client, pharmacist, require):
    pid = on_time(client, pharmacist, "AU-11")  # due today
    authorize(client, pharmacist, pid, "PA-11", 1, 300)  # from tomorrow
    assert "authorization_missing" not in flags(client, pharmacist, pid)
    require()
    assert "authorization_missing" in flags(client, pharmacist, pid)
    # Tomorrow the due day (then past) gives way to tomorrow, which is covered.
    assert "authorization_missing" not in flags(client, pharmacist, pid, on=1)


def test_missing_when_the_next_booking_lies_in_none(client, pharmacist, require):
    pid = on_time(client, pharmacist, "AU-12")
    authorize(client, pharmacist, pid, "PA-12", -150, 10)
    require()
    assert "authorization_missing" not in flags(client, pharmacist, pid)
    assert book(client, pharmacist, pid, 12, override_reason="renewal asked").status_code == 201
    assert "authorization_missing" in flags(client, pharmacist, pid)


# --- booking and giving: 409 and the override --------------------------------------------


def _count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_a_booking_beyond_the_remaining_grams_is_a_409_naming_the_reference_and_shortfall(
    client, pharmacist, session, require
):
    pid = on_time(client, pharmacist, "AU-13", given=3)  # 210 g used
    authorize(client, pharmacist, pid, "IVIG-2026-013", -150, 100, approved_g=300)
    require()
    courses = _count(session, Infusion, Infusion.patient_id == pid)
    creates = _count(session, AuditEvent, AuditEvent.action == "infusion.create")
    refused = book(client, pharmacist, pid, 1, dose_g=100)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail["field"] == "override_reason"
    assert "IVIG-2026-013" in detail["msg"] and "10 g short" in detail["msg"]
    # Nothing half-saved: no course, no audit entry of one.
    assert _count(session, Infusion, Infusion.patient_id == pid) == courses
    assert _count(session, AuditEvent, AuditEvent.action == "infusion.create") == creates
    assert book(client, pharmacist, pid, 1, dose_g=90).status_code == 201  # exactly the rest


def test_a_booking_beyond_the_remaining_courses_is_a_409_naming_the_shortfall(
    client, pharmacist, require
):
    pid = on_time(client, pharmacist, "AU-14", given=3)
    authorize(client, pharmacist, pid, "BS-14", -150, 100, approved_courses=3)
    require()
    refused = book(client, pharmacist, pid, 1)
    assert refused.status_code == 409
    assert "BS-14: 1 course short" in refused.json()["detail"]["msg"]


def test_a_booking_no_authorisation_covers_is_a_409_naming_the_day(client, pharmacist, require):
    pid = on_time(client, pharmacist, "AU-15")
    authorize(client, pharmacist, pid, "PA-15", -150, 20)
    nothing = on_time(client, pharmacist, "AU-15B")
    require()
    refused = book(client, pharmacist, pid, 21)
    assert refused.status_code == 409
    assert f"no authorisation covers {shown(21)}" in refused.json()["detail"]["msg"]
    assert (
        f"no authorisation covers {shown(2)}"
        in book(client, pharmacist, nothing, 2).json()["detail"]["msg"]
    )


def test_an_override_reason_lets_it_through_kept_on_the_course_and_audited(
    client, pharmacist, session, require
):
    pid = on_time(client, pharmacist, "AU-16")
    authorize(client, pharmacist, pid, "PA-16", -150, 20)
    require()
    answer = book(client, pharmacist, pid, 21, override_reason="renewal agreed by phone")
    assert answer.status_code == 201, answer.text
    course = answer.json()
    assert course["override_reason"] == "renewal agreed by phone"
    read = client.get(f"/api/v1/infusions/{course['id']}", headers=pharmacist).json()
    assert read["override_reason"] == "renewal agreed by phone"
    entry = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "infusion.create", AuditEvent.entity_id == str(course["id"])
        )
    ).one()
    assert entry.changes["override_reason"] == "renewal agreed by phone"
    assert f"no authorisation covers {shown(21)}" in entry.changes["funding_overridden"]


def test_without_the_policy_nothing_is_refused(client, pharmacist):
    pid = on_time(client, pharmacist, "AU-17")
    assert book(client, pharmacist, pid, 3).status_code == 201  # no authorisation at all


def test_a_course_recorded_as_given_is_checked_too(client, pharmacist, api_as, require):
    nurse = api_as("nurse")
    pid = on_time(client, pharmacist, "AU-18", given=3)
    authorize(client, pharmacist, pid, "PA-18", -150, 100, approved_g=250)
    require()
    body = {"scheduled_on": d(0), "status": "given", "dose_g": 70, "lots": LOT}
    refused = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=nurse,
        json=body | {"confirm_lot_total": True},
    )
    assert refused.status_code == 409
    assert "PA-18: 30 g short" in refused.json()["detail"]["msg"]
    given = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=nurse,
        json=body | {"confirm_lot_total": True, "override_reason": "given before the renewal"},
    )
    assert given.status_code == 201, given.text
    assert given.json()["override_reason"] == "given before the renewal"


def test_administering_a_booking_checks_the_dose_and_day_given(
    client, pharmacist, api_as, session, require
):
    nurse = api_as("nurse")
    pid = on_time(client, pharmacist, "AU-19", given=3)
    authorize(client, pharmacist, pid, "PA-19", -150, 100, approved_g=280)
    other = on_time(client, pharmacist, "AU-19B", given=3)
    authorize(client, pharmacist, other, "PA-19B", -150, 100, approved_g=280)
    require()
    booked = book(client, pharmacist, pid, 0)  # 70 g: exactly the rest
    assert booked.status_code == 201, booked.text
    url = f"/api/v1/infusions/{booked.json()['id']}/administer"
    more = {"dose_g": 80, "lots": [{"lot_number": "P9", "vials": 4, "size_g": 20}]}
    refused = client.post(url, headers=nurse, json=more)
    assert refused.status_code == 409
    assert "PA-19: 10 g short" in refused.json()["detail"]["msg"]
    assert client.get(f"/api/v1/infusions/{booked.json()['id']}", headers=nurse).json()[
        "status"
    ] == ("booked")
    given = client.post(url, headers=nurse, json=more | {"override_reason": "weight gain"})
    assert given.status_code == 200, given.text
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "infusion.administer")).one()
    assert entry.changes["override_reason"] == [None, "weight gain"]
    assert "10 g short" in entry.changes["funding_overridden"]
    # At the planned dose it would have gone through without a reason.
    course = book(client, pharmacist, other, 0).json()
    assert client.post(
        f"/api/v1/infusions/{course['id']}/administer",
        headers=nurse,
        json={"dose_g": 70, "lots": LOT, "confirm_lot_total": True},
    ).status_code == (200)


def test_moving_a_booking_is_checked_again(client, pharmacist, session, require):
    pid = on_time(client, pharmacist, "AU-20")
    authorize(client, pharmacist, pid, "PA-20", -150, 20)
    require()
    course = book(client, pharmacist, pid, 5).json()
    url = f"/api/v1/infusions/{course['id']}/reschedule"
    refused = client.post(url, headers=pharmacist, json={"scheduled_on": d(25)})
    assert refused.status_code == 409
    assert f"no authorisation covers {shown(25)}" in refused.json()["detail"]["msg"]
    assert client.get(f"/api/v1/infusions/{course['id']}", headers=pharmacist).json()[
        "scheduled_on"
    ] == d(5)
    moved = client.post(
        url, headers=pharmacist, json={"scheduled_on": d(25), "override_reason": "away until"}
    )
    assert moved.status_code == 200 and moved.json()["override_reason"] == "away until"
    entry = session.exec(select(AuditEvent).where(AuditEvent.action == "infusion.reschedule")).one()
    assert entry.changes["override_reason"] == [None, "away until"]
    assert "funding_overridden" in entry.changes
    within = client.post(url, headers=pharmacist, json={"scheduled_on": d(10)})
    assert within.status_code == 200  # back inside: no reason needed


# --- the policy keys ---------------------------------------------------------------------


def test_the_policy_keys_with_their_defaults_and_ranges(client, api_as):
    admin = api_as("admin")
    policy = client.get("/api/v1/policy", headers=admin).json()
    assert (policy["authorization_notice_days"], policy["authorizations_required"]) == (30, False)
    for body, key in (
        ({"authorization_notice_days": 181}, "authorization_notice_days"),
        ({"authorization_notice_days": -1}, "authorization_notice_days"),
        ({"authorizations_required": "yes"}, "authorizations_required"),
    ):
        answer = client.put("/api/v1/policy", headers=admin, json=body)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", key]
    assert client.put(
        "/api/v1/policy", headers=admin, json={"authorization_notice_days": 60}
    ).json()["authorization_notice_days"] == (60)


def test_the_notice_follows_the_policy(client, pharmacist, api_as):
    pid = on_time(client, pharmacist, "AU-21")
    authorize(client, pharmacist, pid, "PA-21", -150, 45)
    assert "authorization_ending" not in flags(client, pharmacist, pid)
    client.put("/api/v1/policy", headers=api_as("admin"), json={"authorization_notice_days": 45})
    assert "authorization_ending" in flags(client, pharmacist, pid)
