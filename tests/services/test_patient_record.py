"""The patient page's record, read as plain rows, says what the per-object services say."""

from datetime import date

from sqlmodel import select

from tracker.demo import load_demo
from tracker.rules import calculate_dose, intensity_g_per_kg_28d, vial_plan
from tracker.services import assessments as assessment_service
from tracker.services import infusions as infusion_service
from tracker.services import patients as patient_service
from tracker.services.evaluation import evaluate_patient
from tracker.services.patient_record import patient_record
from tracker.services.policy import load_policy
from tracker.services.regimens import regimen_view, regimens
from tracker.services.self_courses import entered_by_patient
from tracker.store.models import Patient, Product

TODAY = date(2026, 11, 21)


def _regimen_view_one_by_one(session, regimen) -> dict:
    # regimen_view as first written: several queries per regimen (the oracle).
    product = session.get(Product, regimen.product_id) if regimen.product_id else None
    patient = session.get(Patient, regimen.patient_id)
    note = ""
    if regimen.dose_g:
        weight = patient_service.weight_on(
            session, patient_id=regimen.patient_id, day=regimen.starts_on
        ) or patient_service.weight_on(session, patient_id=regimen.patient_id, day=date.max)
        if weight is not None:
            note = calculate_dose(
                sex=patient.sex,
                height_cm=patient.height_cm,
                weight_kg=weight.weight_kg,
                dose_g_per_kg=regimen.dose_g_per_kg,
                days_per_course=regimen.days_per_course,
                basis=regimen.weight_basis,
                policy=load_policy(session),
            ).note
    plan = vial_plan(regimen.dose_g, product.vial_sizes) if product and regimen.dose_g else None
    return {
        "id": regimen.id,
        "patient_id": regimen.patient_id,
        "starts_on": regimen.starts_on,
        "dose_g_per_kg": regimen.dose_g_per_kg,
        "interval_days": regimen.interval_days,
        "days_per_course": regimen.days_per_course,
        "product_code": product.code if product else None,
        "weight_basis": regimen.weight_basis,
        "reason": regimen.reason,
        "override_reason": regimen.override_reason,
        "dosing_weight_kg": regimen.dosing_weight_kg,
        "weight_basis_used": regimen.weight_basis_used,
        "actual_weight_kg": regimen.actual_weight_kg,
        "weight_note": note,
        "dose_g": regimen.dose_g,
        "dose_g_per_day": round(regimen.dose_g / regimen.days_per_course, 2)
        if regimen.dose_g
        else None,
        "intensity_g_per_kg_28d": round(
            intensity_g_per_kg_28d(regimen.dose_g_per_kg, regimen.interval_days), 3
        ),
        "vials": [{"size_g": v.size_g, "count": v.count} for v in plan.vials] if plan else [],
        "vial_waste_g": plan.waste_g if plan else None,
        "from_action": regimen.from_action,
        "route": regimen.route,
    }


def test_the_record_matches_the_services_one_by_one(session):
    load_demo(session, patients=24, seed=4, today=TODAY, zone="UTC")
    for patient in session.exec(select(Patient)).all():
        record = patient_record(session, patient_id=patient.id, today=TODAY)
        assert record.evaluation == evaluate_patient(session, patient_id=patient.id, on=TODAY)
        courses = infusion_service.infusions(session, patient_id=patient.id)
        by_patient = entered_by_patient(session, patient_id=patient.id)
        assert record.courses == [
            {**view, "entered_by_patient": view["id"] in by_patient}
            for view in infusion_service.infusion_views(session, courses)
        ]
        own = regimens(session, patient_id=patient.id)
        assert record.regimens == [_regimen_view_one_by_one(session, r) for r in own]
        assert [regimen_view(session, r) for r in own] == record.regimens
        fields = ("id", "taken_on", "measure", "side", "value", "timing", "infusion_id")
        scores = assessment_service.assessments(session, patient_id=patient.id)
        assert [tuple(getattr(s, f) for f in fields) for s in record.scores] == [
            tuple(getattr(s, f) for f in fields) for s in scores
        ]
        assert [(r.reviewed_on, r.outcome, r.notes) for r in record.reviews] == [
            (r.reviewed_on, r.outcome, r.notes)
            for r in assessment_service.reviews(session, patient_id=patient.id)
        ]
        assert [(w.measured_on, w.weight_kg) for w in record.weights] == [
            (w.measured_on, w.weight_kg)
            for w in patient_service.weights(session, patient_id=patient.id)
        ]
