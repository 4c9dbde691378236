"""Issue 19: a course the patient infuses at home (site `self`), logged on the diary page by
the patient or on the staff pages, through the same service and plausibility rules as any
course given (clinical rules 9 and 10)."""

import re
from datetime import date, timedelta

from sqlmodel import select

from tests.builders.pages import page_client, post_form
from tests.builders.records import build_world
from tracker.schemas.treatment import RegimenCreate
from tracker.services import diary, regimens
from tracker.services.actors import SYSTEM
from tracker.store.models import AuditEvent, Infusion, InfusionLot, Product

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


def _diary_csrf(html: str) -> str:
    return re.search(r'name="diary_csrf" value="([^"]+)"', html).group(1)


def _sc_world(session, *, sc: bool = True):
    """The diary's patient (a booked course today, one given 30 days ago), on an SC regimen
    from two days ago when `sc`; (world, token)."""
    world = build_world(session, given_name="Ann", family_name="Lee", today=TODAY)
    if sc:
        regimens.create_regimen(
            session,
            actor=SYSTEM,
            patient_id=world.patient_id,
            today=TODAY,
            data=RegimenCreate(
                starts_on=TODAY - timedelta(days=2),
                dose_g_per_kg=0.25,
                interval_days=7,
                route="sc",
                product_code="gammagard",
                reason="home SCIG",
            ),
        )
    token, _ = diary.issue_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    return world, token


def _post_course(client, token: str, data: dict):
    page = client.get(f"/diary/{token}")
    assert page.status_code == 200, page.text
    body = {"diary_csrf": _diary_csrf(page.text), **data}
    return client.post(f"/diary/{token}/course", data=body)


def _self_courses(session, patient_id):
    return session.exec(
        select(Infusion).where(Infusion.patient_id == patient_id, Infusion.site == "self")
    ).all()


def test_an_sc_patient_logs_a_self_infused_course_and_staff_see_who_entered_it(
    app, client, make_user, session
):
    world, token = _sc_world(session)
    page = client.get(f"/diary/{token}").text
    # The section, sized for a phone: numbers typed on the number pad, the regimen's product
    # chosen already, and both forms naming their own address.
    assert "My infusion at home" in page
    assert 'name="vials" required inputmode="numeric"' in page
    assert '<option value="gammagard" selected>' in page
    assert f'action="/diary/{token}/course"' in page and f'action="/diary/{token}"' in page
    answer = _post_course(
        client,
        token,
        {
            "given_on": YESTERDAY.isoformat(),
            "lot_number": "LE12AB",
            "vials": "2",
            "expires_on": (TODAY + timedelta(days=200)).isoformat(),
            "reactions": "Some redness at the site",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "your infusion is recorded" in answer.text
    (course,) = _self_courses(session, world.patient_id)
    gammagard = session.exec(select(Product).where(Product.code == "gammagard")).one()
    assert (course.status, course.scheduled_on, course.product_id) == (
        "given",
        YESTERDAY,
        gammagard.id,
    )
    # The SC regimen's grams (0.25 g/kg of 70 kg), given by no staff member.
    assert course.dose_g == 18 and course.given_by_id is None and course.created_by_id is None
    assert course.reactions == "Some redness at the site"
    (lot,) = session.exec(select(InfusionLot).where(InfusionLot.infusion_id == course.id)).all()
    assert (lot.lot_number, lot.vials) == ("LE12AB", 2)
    link = diary.live_link(session, patient_id=world.patient_id, today=TODAY)
    (created,) = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "infusion.create", AuditEvent.entity_id == str(course.id)
        )
    ).all()
    assert created.actor_name == f"patient (diary link {link.id})" and created.actor_id is None
    # Staff see it, in the course table and the timeline, as entered by the patient.
    pharmacist = page_client(app, make_user, "pharmacist")
    staff_page = pharmacist.get(f"/patients/{world.patient_id}").text
    assert "Self-infused" in staff_page and ">entered by patient</span>" in staff_page
    assert "self-infused, entered by the patient" in staff_page
    assert "LE12AB" in staff_page and "Some redness at the site" in staff_page


def test_the_course_goes_through_the_same_plausibility_rules(client, session):
    world, token = _sc_world(session)
    cases = [
        # (what is typed, the box the refusal names, the words)
        ({"lot_number": "", "vials": "2"}, "Lot number", "lot number"),
        ({"lot_number": "L1", "vials": "two"}, "Vials or syringes", "whole number"),
        ({"lot_number": "L1", "vials": "0"}, "Vials or syringes", "1 to 200"),
        ({"lot_number": "L1", "vials": ""}, "Vials or syringes", "1 to 200"),
        (
            {
                "lot_number": "L1",
                "vials": "2",
                "expires_on": (YESTERDAY - timedelta(days=1)).isoformat(),
            },
            "Expiry date",
            "expired",
        ),
        (
            {"lot_number": "L1", "vials": "2", "given_on": (TODAY + timedelta(1)).isoformat()},
            "Day you infused",
            "future",
        ),
        (
            {"lot_number": "L1", "vials": "2", "given_on": (TODAY - timedelta(3)).isoformat()},
            "Day you infused",
            "before the home (SC) treatment started",
        ),
        # A course is booked today: a second course that day is refused.
        ({"lot_number": "L1", "vials": "2", "given_on": TODAY.isoformat()}, "Day you infused", ""),
    ]
    for data, box, words in cases:
        answer = _post_course(client, token, {"given_on": YESTERDAY.isoformat(), **data})
        assert answer.status_code == 422, (data, answer.text)
        error = re.search(r'<p class="error" role="alert">([^<]+)</p>', answer.text).group(1)
        assert error.startswith(f"{box}:"), (data, error)
        assert words in error, (data, error)
        # The page stays usable: the typed values are shown back.
        assert f'value="{data["lot_number"]}"' in answer.text
        assert _self_courses(session, world.patient_id) == []
    # One course a day holds across the patient's own entries too.
    ok = {"given_on": YESTERDAY.isoformat(), "lot_number": "L1", "vials": "2"}
    assert _post_course(client, token, ok).status_code == 200
    again = _post_course(client, token, ok)
    assert again.status_code == 422 and "Day you infused:" in again.text
    assert len(_self_courses(session, world.patient_id)) == 1


def test_a_patient_not_on_sc_sees_no_section_and_is_refused(client, session):
    world, token = _sc_world(session, sc=False)
    assert "My infusion at home" not in client.get(f"/diary/{token}").text
    answer = _post_course(
        client, token, {"given_on": YESTERDAY.isoformat(), "lot_number": "L1", "vials": "2"}
    )
    assert answer.status_code == 409
    assert "not one you give yourself at home" in answer.text
    assert _self_courses(session, world.patient_id) == []


def test_a_dead_link_or_a_forged_form_records_no_course(client, session):
    world, token = _sc_world(session)
    csrf = _diary_csrf(client.get(f"/diary/{token}").text)
    data = {"given_on": YESTERDAY.isoformat(), "lot_number": "L1", "vials": "2"}
    forged = client.post(
        f"/diary/{token}/course",
        data={"diary_csrf": csrf, **data},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    diary.revoke_link(session, actor=SYSTEM, patient_id=world.patient_id, today=TODAY)
    session.commit()
    gone = client.post(f"/diary/{token}/course", data={"diary_csrf": csrf, **data})
    assert gone.status_code == 410
    assert _self_courses(session, world.patient_id) == []


def test_staff_log_a_self_infused_course_with_its_lot_and_reactions(app, make_user, session):
    world, _token = _sc_world(session)
    nurse = page_client(app, make_user, "nurse")
    patient_page = nurse.get(f"/patients/{world.patient_id}").text
    assert f'href="/patients/{world.patient_id}/self-course"' in patient_page
    url = f"/patients/{world.patient_id}/self-course"
    form = nurse.get(url).text
    assert 'inputmode="numeric"' in form and '<option value="gammagard" selected>' in form
    data = {
        "given_on": YESTERDAY.isoformat(),
        "product_code": "gammagard",
        "lot_number": "LE99",
        "vials": "2",
        "expires_on": (YESTERDAY - timedelta(days=3)).isoformat(),
        "reactions": "headache",
    }
    refused = post_form(nurse, url, url, data)
    assert refused.status_code == 422 and "expired" in refused.text
    assert 'value="LE99"' in refused.text
    assert _self_courses(session, world.patient_id) == []
    data["expires_on"] = (TODAY + timedelta(days=90)).isoformat()
    saved = post_form(nurse, url, url, data)
    assert saved.status_code == 303, saved.text
    (course,) = _self_courses(session, world.patient_id)
    assert course.given_by_id == nurse.user.id and course.reactions == "headache"
    staff_page = nurse.get(f"/patients/{world.patient_id}").text
    assert "Self-infused" in staff_page and ">entered by patient</span>" not in staff_page


def test_staff_are_refused_a_self_course_for_a_patient_not_on_sc(app, make_user, session):
    world, _token = _sc_world(session, sc=False)
    nurse = page_client(app, make_user, "nurse")
    assert "/self-course" not in nurse.get(f"/patients/{world.patient_id}").text
    url = f"/patients/{world.patient_id}/self-course"
    answer = post_form(
        nurse, url, url, {"given_on": YESTERDAY.isoformat(), "lot_number": "L1", "vials": "1"}
    )
    assert answer.status_code == 409 and "subcutaneous" in answer.text
    assert _self_courses(session, world.patient_id) == []
