"""Recording a diagnostic assessment, and the diagnosis panel of the patient's page."""

from datetime import date

from fastapi import Request
from sqlmodel import Session

from tracker.rules.diagnosis import COUNT_FINDINGS, FINDINGS, Classification
from tracker.schemas.diagnosis import DiagnosisCreate
from tracker.services import audit
from tracker.services import diagnosis as diagnosis_service
from tracker.services import patients as patient_service
from tracker.store.models import Patient
from tracker.store.models.diagnosis import MAX_FINDING_COUNT
from tracker.web.deps import DbSession, IdPath, PagePharmacist, Today, actor, writes_on_get
from tracker.web.forms import VerifiedForm, form_values, parse, saved
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)

DATE_FIELDS = ["assessed_on", "symptom_onset_on", "diagnosis_on"]
FORM_FIELDS = [*DATE_FIELDS, *FINDINGS, "notes"]

# Each finding as the form asks it, in the clinician's words.
FINDING_LABELS = {
    "weak_nerves": "Nerves with weakness in their territory, without objective sensory loss",
    "weakness_over_1_month": "Weakness for 1 month or more",
    "definite_block_nerves": "Motor nerves with definite conduction block",
    "probable_block_segments": "Motor nerve segments with probable conduction block",
    "sensory_conduction_normal": "Normal sensory nerve conduction",
    "anti_gm1_igm_raised": "Raised anti-GM1 IgM antibodies",
    "csf_protein_raised": "Raised CSF protein (below 1 g/L)",
    "mri_plexus_t2": "Increased T2 signal of the brachial plexus on MRI",
    "improved_after_ivig": "Objective improvement after IVIG",
    "upper_motor_neuron_signs": "Upper motor neuron signs",
    "marked_bulbar": "Marked bulbar involvement",
    "sensory_beyond_minor_vibration": "Sensory loss beyond minor loss of vibration sense",
    "diffuse_symmetric_early_weakness": "Diffuse symmetric weakness in the first weeks",
}
FINDING_HINTS = {
    "weakness_over_1_month": "Not known: worked out from the symptom onset, when given.",
    "improved_after_ivig": "Not known: derived from the scores before and up to 6 weeks "
    "after the first course.",
}
FINDING_GROUPS = (
    ("Clinical", ("weak_nerves", "weakness_over_1_month")),
    (
        "Nerve conduction studies",
        ("definite_block_nerves", "probable_block_segments", "sensory_conduction_normal"),
    ),
    (
        "Supportive criteria",
        ("anti_gm1_igm_raised", "csf_protein_raised", "mri_plexus_t2", "improved_after_ivig"),
    ),
    (
        "Exclusions",
        (
            "upper_motor_neuron_signs",
            "marked_bulbar",
            "sensory_beyond_minor_vibration",
            "diffuse_symmetric_early_weakness",
        ),
    ),
)
TRI_STATE = [("", "Not known"), ("true", "Yes"), ("false", "No")]
CLASSIFICATION_LABELS = {
    Classification.DEFINITE: "Definite MMN",
    Classification.PROBABLE: "Probable MMN",
    Classification.NOT_MET: "Criteria not met",
    Classification.EXCLUDED: "Excluded",
    Classification.INCOMPLETE: "Incomplete",
}
# The classes an incomplete diagnosis could still turn out to be, within a sentence.
POSSIBLE_LABELS = {
    Classification.DEFINITE: "definite",
    Classification.PROBABLE: "probable",
    Classification.NOT_MET: "criteria not met",
    Classification.EXCLUDED: "excluded",
}


def _text(value) -> str:
    """A stored value as the form shows it: booleans as the tri-state's codes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def _form(request, patient: Patient, *, values: dict, errors=None, status=200):
    return render(
        request,
        "diagnosis_form.html",
        {
            "patient": patient,
            "values": values,
            "errors": errors or {},
            "groups": FINDING_GROUPS,
            "labels": FINDING_LABELS,
            "hints": FINDING_HINTS,
            "counts": COUNT_FINDINGS,
            "tri_state": TRI_STATE,
            "max_count": MAX_FINDING_COUNT,
        },
        status_code=status,
    )


@router.get("/patients/{patient_id}/diagnosis/new")
@writes_on_get
def diagnosis_form(
    request: Request, db: DbSession, user: PagePharmacist, today: Today, patient_id: IdPath
):
    """The form for a diagnostic assessment, filled from the latest one."""
    patient = patient_service.get_patient(db, patient_id)
    audit.patient_viewed(
        db, actor=actor(request, user), patient_id=patient_id, part="diagnosis form"
    )
    latest = diagnosis_service.latest_assessment(db, patient_id=patient_id)
    values = {
        name: _text(getattr(latest, name)) if latest else ""
        for name in ["symptom_onset_on", "diagnosis_on", *FINDINGS]
    }
    return _form(request, patient, values={**values, "assessed_on": today.isoformat(), "notes": ""})


@router.post("/patients/{patient_id}/diagnosis/new")
def record_diagnosis(
    request: Request,
    db: DbSession,
    user: PagePharmacist,
    form: VerifiedForm,
    today: Today,
    patient_id: IdPath,
):
    """Record the assessment, or show the form again with each error beside its field."""
    patient = patient_service.get_patient(db, patient_id)
    values = form_values(form, FORM_FIELDS)
    result = parse(DiagnosisCreate, values, values)  # a blank is "not known"
    done = saved(
        db,
        result,
        lambda data: diagnosis_service.record_diagnosis(
            db, actor=actor(request, user), patient_id=patient_id, data=data, today=today
        ),
        then=f"/patients/{patient_id}#diagnosis",
    )
    if done is not None:
        return done
    return _form(request, patient, values=values, errors=result.errors, status=422)


def diagnosis_panel(session: Session, *, patient_id: int, today: date) -> dict:
    """What the patient page's diagnosis panel shows: the latest assessment on `today`."""
    return {
        "view": diagnosis_service.latest_diagnosis(session, patient_id=patient_id, on=today),
        "labels": FINDING_LABELS,
        "classes": CLASSIFICATION_LABELS,
        "possible": POSSIBLE_LABELS,
    }
