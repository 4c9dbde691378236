"""The patient's diary link (issue 19, clinical rules 10): issue, record, refuse."""

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from tests.builders.pages import page_client
from tests.builders.records import build_world
from tracker.services import diary
from tracker.services.actors import SYSTEM
from tracker.services.login_throttle import FAILURE_LIMIT
from tracker.store.models import Assessment, AuditEvent
from tracker.store.models.interop import DiaryNote

TODAY = date.today()


def _diary_csrf(html: str) -> str:
    return re.search(r'name="diary_csrf" value="([^"]+)"', html).group(1)


def _post(client, token: str, data: dict):
    page = client.get(f"/diary/{token}")
    assert page.status_code == 200, page.text
    return client.post(f"/diary/{token}", data={"diary_csrf": _diary_csrf(page.text), **data})


def _home_rows(session, patient_id):
    return session.exec(
        select(Assessment).where(Assessment.patient_id == patient_id, Assessment.source == "home")
    ).all()


def test_the_patient_records_both_grips_and_a_wear_off_day_and_staff_see_them(
    app, client, make_user, session
):
    world = build_world(session, given_name="Ann", family_name="Lee", today=TODAY)
    pharmacist = page_client(app, make_user, "pharmacist")
    # The pharmacist issues the link from the patient's page; it is shown once.
    assert (
        f'href="/patients/{world.patient_id}/diary"'
        in pharmacist.get(f"/patients/{world.patient_id}").text
    )
    issued = pharmacist.post(
        f"/patients/{world.patient_id}/diary/issue", data={"csrf_token": pharmacist.csrf}
    )
    assert issued.status_code == 200
    token = re.search(r"/diary/([A-Za-z0-9_-]{40,64})", issued.text).group(1)

    page = client.get(f"/diary/{token}")
    assert page.status_code == 200
    assert "Hello Ann" in page.text and "Lee" not in page.text and "SEC-1" not in page.text
    assert 'inputmode="decimal"' in page.text
    answer = _post(
        client,
        token,
        {
            "grip_measure": "grip_dynamometer",
            "grip_left": "31,5",
            "grip_right": "28",
            "timing": "pre_infusion",
            "taken_on": TODAY.isoformat(),
            "wore_off_on": (TODAY - timedelta(days=5)).isoformat(),
            "note": "Tired in the last week.",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Thank you" in answer.text
    rows = sorted(_home_rows(session, world.patient_id), key=lambda r: (r.measure, r.side or ""))
    assert [(r.measure, r.side, r.value, r.timing) for r in rows] == [
        ("grip_dynamometer", "left", 31.5, "pre_infusion"),
        ("grip_dynamometer", "right", 28.0, "pre_infusion"),
        # The last course was given 30 days ago: it wore off on day 25 of the cycle.
        ("wear_off_day", None, 25.0, "clinic"),
    ]
    assert all(r.recorded_by_id is None for r in rows)
    link = diary.live_link(session, patient_id=world.patient_id, today=TODAY)
    entries = session.exec(
        select(AuditEvent.action).where(AuditEvent.actor_name == f"patient (diary link {link.id})")
    ).all()
    writes = [e for e in entries if e != "patient.view"]
    assert sorted(writes) == [*["assessment.create"] * 3, "diary_note.create"]
    assert "patient.view" in entries  # opening the page reads the first name
    # Staff see them as home readings, and the note on the diary page.
    staff_page = pharmacist.get(f"/patients/{world.patient_id}").text
    assert "Grip left (dynamometer) at home" in staff_page  # the timeline's series
    assert "Grip right (dynamometer) at home" in staff_page
    scores = staff_page[staff_page.index('id="scores-h"') :]
    assert "31.5 kg" in scores and "28 kg" in scores and "wear-off day" in scores
    assert scores.count('title="recorded by the patient at home">home</span>') >= 3
    assert "Tired in the last week." in pharmacist.get(f"/patients/{world.patient_id}/diary").text


def test_an_expired_or_revoked_link_shows_a_clear_page_and_writes_nothing(client, session):
    world = build_world(session, today=TODAY)
    old_token, _ = diary.issue_link(
        session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY - timedelta(days=100)
    )
    session.commit()
    page = client.get(f"/diary/{old_token}")
    assert page.status_code == 410 and "no longer works" in page.text
    assert "Ann" not in page.text
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    csrf = _diary_csrf(client.get(f"/diary/{token}").text)
    diary.revoke_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    for dead in (old_token, token):
        answer = client.post(
            f"/diary/{dead}",
            data={"diary_csrf": csrf, "grip_left": "30", "timing": "clinic", "note": "x"},
        )
        assert answer.status_code == 410 and "no longer works" in answer.text
    assert _home_rows(session, world.patient_id) == []
    assert session.exec(select(DiaryNote)).all() == []


def test_a_token_writes_only_its_own_patient(client, session):
    world_a = build_world(session, given_name="Ann", today=TODAY)
    from tracker.schemas.patients import PatientCreate
    from tracker.services import patients

    other = patients.create_patient(
        session,
        actor=SYSTEM,
        today=TODAY,
        data=PatientCreate(
            mrn="SEC-2",
            given_name="Bob",
            family_name="Roe",
            birth_date=date(1970, 1, 1),
            sex="male",
            height_cm=180,
        ),
    )
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world_a.patient_id, today=TODAY)
    session.commit()
    answer = _post(
        client,
        token,
        {"grip_left": "30", "timing": "clinic", "patient_id": str(other.id), "note": "hi"},
    )
    assert answer.status_code == 200
    assert _home_rows(session, other.id) == []
    assert len(_home_rows(session, world_a.patient_id)) == 1


def test_a_value_out_of_range_writes_nothing_and_names_the_box(client, session):
    world = build_world(session, today=TODAY)
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    answer = _post(
        client, token, {"grip_left": "30", "grip_right": "400", "timing": "clinic", "note": "n"}
    )
    assert answer.status_code == 422 and "Right hand" in answer.text
    assert _home_rows(session, world.patient_id) == []
    assert session.exec(select(DiaryNote)).all() == []


def test_the_form_needs_its_own_token_and_this_site(client, session):
    world = build_world(session, today=TODAY)
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    client.get(f"/diary/{token}")
    answer = client.post(f"/diary/{token}", data={"diary_csrf": "x" * 32, "note": "n"})
    assert answer.status_code == 403
    csrf = _diary_csrf(client.get(f"/diary/{token}").text)
    answer = client.post(
        f"/diary/{token}",
        data={"diary_csrf": csrf, "note": "n"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert session.exec(select(DiaryNote)).all() == []


def test_the_token_opens_no_staff_page_and_no_api_route(app, session):
    world = build_world(session, today=TODAY)
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get(f"/diary/{token}").status_code == 200
        page = client.get(f"/patients/{world.patient_id}", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            api = client.get(f"/api/v1/patients/{world.patient_id}", headers=headers)
            assert api.status_code == 401
        client.cookies.set("tracker_session", token)
        page = client.get(f"/patients/{world.patient_id}", follow_redirects=False)
        assert page.status_code == 303


def test_guessed_tokens_are_refused_with_429_after_the_limit(client, session):
    world = build_world(session, today=TODAY)
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    for n in range(FAILURE_LIMIT):
        guess = client.get(f"/diary/{'g' * 40}{n:03d}")
        assert guess.status_code == 404 and "not known" in guess.text
    refused = client.get(f"/diary/{'g' * 43}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # Even the right token waits: the address is throttled, not the guess.
    assert client.get(f"/diary/{token}").status_code == 429
