"""The staff pages: worklist, patient page and forms, booking, nurse logging."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests.builders.api import give, iso, patient_with_regimen, score
from tests.builders.pages import csrf_of, log_in, post_form
from tests.opening_days import open_every_day
from tracker.store.models import Assessment, Infusion, InfusionLot, Patient

TODAY = date.today()


@pytest.fixture
def pharmacist_api(api_as):
    return api_as("pharmacist", "api.pharmacist")


def test_worklist_shows_tabs_with_counts_and_rows(client, make_user, pharmacist_api):
    late = patient_with_regimen(
        client,
        pharmacist_api,
        mrn="LATE-1",
        family_name="Latimer",
        starts_on=TODAY - timedelta(days=60),
    )
    give(client, pharmacist_api, late, TODAY - timedelta(days=40))
    patient_with_regimen(
        client,
        pharmacist_api,
        mrn="NEW-1",
        family_name="Newman",
        starts_on=TODAY + timedelta(days=4),
    )
    log_in(client, make_user)
    page = client.get("/")
    assert page.status_code == 200
    assert "Latimer" in page.text and "Newman" in page.text
    assert page.text.index("Latimer") < page.text.index("Newman")  # overdue first
    overdue = client.get("/?view=overdue").text
    assert "Latimer" in overdue and "Newman" not in overdue
    found = client.get("/?q=new-1").text
    assert "Newman" in found and "Latimer" not in found


def test_patient_form_keeps_input_and_names_errors(client, make_user, session):
    log_in(client, make_user)
    answer = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {
            "mrn": "KEEP-1",
            "given_name": "Keep",
            "family_name": "Typed",
            "birth_date": "2999-01-01",
            "sex": "female",
            "height_cm": "20",
            "email": "bad",
        },
    )
    assert answer.status_code == 422
    assert 'value="KEEP-1"' in answer.text and 'value="Typed"' in answer.text
    assert 'id="e-height_cm"' in answer.text and 'id="e-email"' in answer.text
    assert session.exec(select(Patient).where(Patient.mrn == "KEEP-1")).first() is None
    ok = post_form(
        client,
        "/patients/new",
        "/patients/new",
        {
            "mrn": "KEEP-1",
            "given_name": "Keep",
            "family_name": "Typed",
            "birth_date": "1960-01-01",
            "sex": "female",
            "height_cm": "165",
        },
    )
    assert ok.status_code == 303
    assert session.exec(select(Patient).where(Patient.mrn == "KEEP-1")).one().height_cm == 165


def test_patient_form_saves_the_home_address_and_staff_who_visit_see_it(client, make_user, session):
    log_in(client, make_user)
    form = client.get("/patients/new").text
    assert 'name="address_line1"' in form and 'name="postcode"' in form
    typed = {
        "mrn": "HOME-1",
        "given_name": "Home",
        "family_name": "Visit",
        "birth_date": "1960-01-01",
        "sex": "female",
        "address_line1": "12 Mill Lane",
        "address_line2": "Flat 3",
        "postcode": "LS6 2AB",
        "diagnosis": "MMN",
    }
    answer = post_form(client, "/patients/new", "/patients/new", typed)
    assert answer.status_code == 303
    patient = session.exec(select(Patient).where(Patient.mrn == "HOME-1")).one()
    assert (patient.address_line1, patient.address_line2, patient.postcode) == (
        "12 Mill Lane",
        "Flat 3",
        "LS6 2AB",
    )
    shown = "Home: 12 Mill Lane, Flat 3, LS6 2AB"
    assert shown in client.get(f"/patients/{patient.id}").text
    edit = client.get(f"/patients/{patient.id}/edit").text
    assert 'value="12 Mill Lane"' in edit and 'value="LS6 2AB"' in edit
    # A blank line on the edit form clears it.
    changed = post_form(
        client,
        f"/patients/{patient.id}/edit",
        f"/patients/{patient.id}/edit",
        typed | {"address_line2": "", "postcode": "LS6 9ZZ", "status": "active"},
    )
    assert changed.status_code == 303
    session.refresh(patient)
    assert (patient.address_line2, patient.postcode) == (None, "LS6 9ZZ")
    assert "Home: 12 Mill Lane, LS6 9ZZ" in client.get(f"/patients/{patient.id}").text
    # Nurses visit, so they see it; a viewer does not.
    for role, sees in (("nurse", True), ("viewer", False)):
        client.cookies.clear()
        log_in(client, make_user, role, username=f"home.{role}")
        page = client.get(f"/patients/{patient.id}")
        assert page.status_code == 200
        assert ("12 Mill Lane" in page.text) is sees, role


def test_forms_without_csrf_token_are_refused(client, make_user, pharmacist_api):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY)
    log_in(client, make_user)
    answer = client.post(
        f"/patients/{pid}/weights", data={"measured_on": iso(TODAY), "weight_kg": "70"}
    )
    assert answer.status_code == 403


def test_regimen_form_shows_the_dose_before_saving(client, make_user, pharmacist_api, session):
    pid = patient_with_regimen(
        client,
        pharmacist_api,
        starts_on=TODAY - timedelta(days=30),
        sex="female",
        height_cm=160,
        weight_kg=95,
    )
    log_in(client, make_user)
    url = f"/patients/{pid}/regimens/new"
    form = {
        "starts_on": iso(TODAY),
        "dose_g_per_kg": "1",
        "interval_days": "21",
        "days_per_course": "1",
        "product_code": "privigen",
        "weight_basis": "auto",
        "reason": "wear-off",
    }
    preview = post_form(client, url, url, form | {"confirm": "calculate"})
    assert preview.status_code == 200
    assert "70 g" in preview.text and "69.43 kg" in preview.text  # the worked example
    count = len(client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist_api).json())
    saved = post_form(client, url, url, form | {"confirm": "save"})
    assert saved.status_code == 303
    regimens = client.get(f"/api/v1/patients/{pid}/regimens", headers=pharmacist_api).json()
    assert len(regimens) == count + 1 and regimens[-1]["interval_days"] == 21
    over = post_form(client, url, url, form | {"dose_g_per_kg": "2.4", "confirm": "calculate"})
    assert "above the cap" in over.text and 'value="save"' not in over.text


def test_booking_page_suggests_days_inside_the_window(client, make_user, pharmacist_api):
    last = TODAY - timedelta(days=21)
    pid = patient_with_regimen(client, pharmacist_api, starts_on=last - timedelta(days=1))
    give(client, pharmacist_api, pid, last)
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}/book")
    assert page.status_code == 200
    window_start, window_end = last + timedelta(days=25), last + timedelta(days=31)
    import re

    suggested = [
        date.fromisoformat(d)
        for d in re.findall(
            r'name="scheduled_on" value="(\d{4}-\d\d-\d\d)">\s*'
            r'<input type="hidden" name="start_time"',
            page.text,
        )
    ]
    assert suggested and all(window_start <= d <= window_end for d in suggested)
    booked = post_form(
        client,
        f"/patients/{pid}/book",
        f"/patients/{pid}/book",
        {"scheduled_on": iso(suggested[0]), "start_time": "09:00", "chair": "C1"},
    )
    assert booked.status_code == 303
    clash = patient_with_regimen(
        client, pharmacist_api, mrn="CLASH", starts_on=TODAY - timedelta(days=1)
    )
    taken = post_form(
        client,
        f"/patients/{clash}/book",
        f"/patients/{clash}/book",
        {"scheduled_on": iso(suggested[0]), "start_time": "09:30", "chair": "C1"},
    )
    assert taken.status_code == 409 and "chair C1 is taken" in taken.text
    # Moving the clashing patient's own booking onto the taken chair is refused the same way,
    # beside that booking's fields; onto another chair it is made.
    own = post_form(
        client,
        f"/patients/{clash}/book",
        f"/patients/{clash}/book",
        {"scheduled_on": iso(suggested[0]), "start_time": "09:30", "chair": "C2"},
    )
    assert own.status_code == 303
    (course,) = client.get(f"/api/v1/patients/{clash}/infusions", headers=pharmacist_api).json()
    move = {"scheduled_on": iso(suggested[0]), "start_time": "10:00", "chair": "C1"}
    refused = post_form(
        client, f"/patients/{clash}/book", f"/infusions/{course['id']}/reschedule", move
    )
    assert refused.status_code == 422 and "chair C1 is taken" in refused.text
    moved = post_form(
        client,
        f"/patients/{clash}/book",
        f"/infusions/{course['id']}/reschedule",
        move | {"chair": "C3"},
    )
    assert moved.status_code == 303


def test_nurse_log_records_course_lots_and_scores_in_one_submit(
    client, make_user, pharmacist_api, session
):
    open_every_day(session)  # booked and given today, whatever day today is
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY - timedelta(days=1))
    booking = client.post(
        f"/api/v1/patients/{pid}/infusions",
        headers=pharmacist_api,
        json={"scheduled_on": iso(TODAY), "start_time": "08:00", "chair": "C2"},
    ).json()
    log_in(client, make_user, "nurse")
    day = client.get("/log").text
    assert f"/log/{booking['id']}" in day
    form = client.get(f"/log/{booking['id']}").text
    assert 'name="dose_g" type="number" value="70"' in form  # from the regimen
    assert 'name="lots.0.vials" type="number" value="1"' in form  # the vial plan
    bad = post_form(
        client,
        f"/log/{booking['id']}",
        f"/log/{booking['id']}",
        {
            "given_on": iso(TODAY),
            "dose_g": "70",
            "product_code": "privigen",
            "lots.0.lot_number": "P1",
            "lots.0.vials": "2",
            "lots.0.size_g": "40",
            "confirm_lot_total": "1",
            "pre_grip_left": "55",
            "pre_grip_right": "900",
            "post_grip_right": "60",
        },
    )
    assert bad.status_code == 422
    assert 'id="e-pre_grip_right"' in bad.text
    assert 'value="P1"' in bad.text  # what was typed stays
    assert session.get(Infusion, booking["id"]).status == "booked"
    assert session.exec(select(Assessment).where(Assessment.patient_id == pid)).all() == []
    good = post_form(
        client,
        f"/log/{booking['id']}",
        f"/log/{booking['id']}",
        {
            "given_on": iso(TODAY),
            "dose_g": "70",
            "product_code": "privigen",
            "lots.0.lot_number": "P1",
            "lots.0.vials": "2",
            "lots.0.size_g": "40",
            "confirm_lot_total": "1",
            "reactions": "headache",
            "pre_grip_left": "55",
            "pre_grip_right": "71",
            "pre_mrc_sum": "52",
            "post_grip_left": "58",
            "post_grip_right": "76",
        },
    )
    assert good.status_code == 303, good.text
    session.expire_all()
    course = session.get(Infusion, booking["id"])
    assert course.status == "given" and course.reactions == "headache"
    assert [
        lot.lot_number
        for lot in session.exec(select(InfusionLot).where(InfusionLot.infusion_id == course.id))
    ] == ["P1"]
    scores = session.exec(select(Assessment).where(Assessment.patient_id == pid)).all()
    assert len(scores) == 5 and all(s.infusion_id == course.id for s in scores)


def test_patient_page_shows_recommendation_and_accepting_it(client, make_user, pharmacist_api):
    first = TODAY - timedelta(days=90)
    pid = patient_with_regimen(client, pharmacist_api, starts_on=first - timedelta(days=7))
    for k in range(4):
        day = first + timedelta(days=28 * k)
        give(client, pharmacist_api, pid, day)
        if k:
            score(client, pharmacist_api, pid, day, 68, "pre_infusion")
        score(client, pharmacist_api, pid, day + timedelta(days=3), 80, "post_infusion")
    log_in(client, make_user)
    page = client.get(f"/patients/{pid}")
    assert page.status_code == 200
    assert "Waning response" in page.text and "Shorten interval" in page.text
    assert page.text.count('class="tl-course tl-given"') == 4
    preview = client.post(
        f"/patients/{pid}/recommendation/accept",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert preview.status_code == 200 and 'value="save"' in preview.text
    answer = client.post(
        f"/patients/{pid}/recommendation/accept",
        follow_redirects=False,
        data={
            "csrf_token": csrf_of(page.text),
            "confirm": "save",
            "dose_g_per_kg": "1",
            "interval_days": "21",
        },
    )
    assert answer.status_code == 303
    page = client.get(f"/patients/{pid}").text
    assert "every <strong>21 days</strong>" in page
    assert "Shorten interval" not in page


def test_hostile_names_render_as_text(client, make_user, pharmacist_api):
    pid = patient_with_regimen(
        client, pharmacist_api, starts_on=TODAY, given_name="<script>alert(1)</script>"
    )
    log_in(client, make_user)
    for url in (
        "/",
        "/patients",
        f"/patients/{pid}",
        f"/patients/{pid}/summary",
        f"/patients/{pid}/book",
    ):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text, url


def test_viewer_cannot_open_pharmacy_forms(client, make_user, pharmacist_api):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY)
    log_in(client, make_user, "viewer")
    assert client.get(f"/patients/{pid}").status_code == 200
    assert client.get(f"/patients/{pid}/book").status_code == 403
    assert client.get("/patients/new").status_code == 403
    assert client.get("/log").status_code == 403


def test_every_link_in_the_menus_opens_for_the_role_that_sees_it(client, make_user, pharmacist_api):
    import re

    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY)
    for role, hidden in (
        ("pharmacist", {"/admin/users"}),
        (
            "viewer",
            {"/recall", "/import", f"/patients/{pid}/calendar", f"/patients/{pid}/book", "/outbox"},
        ),
    ):
        client.cookies.clear()
        log_in(client, make_user, role, username=f"menu.{role}")
        page = client.get(f"/patients/{pid}").text
        menus = re.findall(r"<nav[^>]*>(.*?)</nav>", page, flags=re.S)
        links = set(re.findall(r'href="([^"]+)"', "".join(menus)))
        assert not links & hidden, (role, links & hidden)
        for link in links:
            assert client.get(link).status_code == 200, (role, link)
        if role == "pharmacist":
            assert {
                "/recall",
                "/import",
                f"/patients/{pid}/calendar",
                f"/patients/{pid}/review-report",
            } <= links


def test_patient_page_shows_the_latest_and_each_history_is_paged(client, make_user, pharmacist_api):
    pid = patient_with_regimen(client, pharmacist_api, starts_on=TODAY - timedelta(days=800))
    for i in range(60):
        score(
            client,
            pharmacist_api,
            pid,
            TODAY - timedelta(days=700 - i * 10),
            value=40 + i,
            timing="clinic",
        )
    log_in(client, make_user, "viewer")
    page = client.get(f"/patients/{pid}").text
    assert "Latest scores" in page and page.count("<tr><td>") <= 12  # not all 60 scores
    assert f'href="/patients/{pid}/history/scores"' in page
    assert 'href="?range=1y" aria-current="page"' in page
    for shown in ("6m", "1y", "all"):
        assert client.get(f"/patients/{pid}?range={shown}").status_code == 200
    assert client.get(f"/patients/{pid}?range=forever").status_code == 422
    first = client.get(f"/patients/{pid}/history/scores")
    assert first.status_code == 200 and "Page 1 of 2" in first.text
    assert first.text.count("<tr><td>") == 50
    second = client.get(f"/patients/{pid}/history/scores?page=2").text
    assert "Page 2 of 2" in second and second.count("<tr><td>") == 10
    for kind in ("courses", "weights", "reviews"):
        assert client.get(f"/patients/{pid}/history/{kind}").status_code == 200
    assert client.get("/patients/999999/history/scores").status_code == 404
