"""The JSON API for other systems: a patient as a FHIR R4 Bundle, and lot recall."""

from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from tracker.interop.fhir.export import patient_bundle
from tracker.schemas.recall import RecallRead
from tracker.services import audit, recall
from tracker.services import patients as patient_service
from tracker.web.deps import ApiPharmacist, ApiUser, DbSession, IdPath, Today, actor, writes_on_get
from tracker.web.routing import Router

router = Router(prefix="/api/v1", tags=["interoperability"])

FHIR_JSON = "application/fhir+json"
CSV = "text/csv"


class FhirJSONResponse(JSONResponse):
    """JSON as FHIR's own media type."""

    media_type = FHIR_JSON


# What every Bundle carries; its resources are FHIR R4's own (https://hl7.org/fhir/R4/).
BUNDLE = {
    "type": "object",
    "properties": {
        "resourceType": {"const": "Bundle"},
        "type": {"const": "collection"},
        "entry": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "fullUrl": {"type": "string"},
                    "resource": {
                        "type": "object",
                        "properties": {"resourceType": {"type": "string"}},
                        "required": ["resourceType"],
                    },
                },
                "required": ["resource"],
            },
        },
    },
    "required": ["resourceType", "type"],
}


@router.get(
    "/patients/{patient_id}/fhir",
    response_class=FhirJSONResponse,
    responses={
        200: {
            "description": "A FHIR R4 collection Bundle",
            "content": {FHIR_JSON: {"schema": BUNDLE}},
        }
    },
)
@writes_on_get
def patient_fhir(request: Request, db: DbSession, user: ApiUser, today: Today, patient_id: IdPath):
    """The patient as a FHIR R4 Bundle: Patient, MedicationRequest, MedicationAdministration,
    Observation and Appointment resources."""
    patient = patient_service.get_patient(db, patient_id)
    bundle = patient_bundle(db, patient=patient, today=today, settings=request.app.state.settings)
    audit.patient_viewed(db, actor=actor(request, user), patient_id=patient_id, part="fhir")
    return FhirJSONResponse(bundle)


@router.get(
    "/recall",
    response_model=RecallRead,
    responses={
        200: {
            "description": "As JSON, or with `format=csv` a CSV file with a header row",
            "content": {CSV: {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": 'The CSV file\'s name (`attachment; filename="recall.csv"`)',
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
@writes_on_get
def lot_recall(
    request: Request,
    db: DbSession,
    user: ApiPharmacist,
    lot: Annotated[str, Query(min_length=1, max_length=60)],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
):
    """Every patient who received the lot, with the course, dose, product and vials
    (`format=csv` for a spreadsheet)."""
    rows = recall.lot_recall(db, actor=actor(request, user), lot=lot, via=f"api-{format}")
    if format == "csv":
        return Response(
            recall.recall_csv(rows),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="recall.csv"'},
        )
    return {
        "lot": lot.strip(),
        "patients": recall.patient_count(rows),
        "courses": [r.to_dict() for r in rows],
    }
