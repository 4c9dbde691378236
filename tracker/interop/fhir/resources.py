"""FHIR R4 resources from the tracker's rows: pure functions, plain dicts out (JSON-ready).

Ids are stable across exports (`patient-7`, `regimen-3`, `infusion-41`, `appointment-41`,
`assessment-9`, `authorization-5`), so a receiving system can update what it imported before.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.interop.fhir import codes
from tracker.rules.authorizations import AuthorizationStanding
from tracker.store.models import (
    Assessment,
    FundingAuthorization,
    Infusion,
    InfusionLot,
    Patient,
    Regimen,
)

APPOINTMENT_STATUS = {
    "booked": "booked",
    "given": "fulfilled",
    "cancelled": "cancelled",
    "missed": "noshow",
}
INTRAVENOUS = {
    "coding": [{"system": codes.SNOMED, "code": "47625008", "display": "Intravenous route"}]
}


@dataclass(frozen=True)
class FhirContext:
    """What the resources need besides the rows: addresses, the site's zone, names."""

    base_url: str
    zone: ZoneInfo
    products: dict[int, tuple[str, str]]  # product id -> (code, name)
    chairs: dict[int, str]  # chair id -> name
    clinic_opens: time
    clinic_closes: time

    def url(self, path: str) -> str:
        """An absolute address under the tracker's base URL."""
        return f"{self.base_url.rstrip('/')}{path}"


def ref(kind: str, resource_id: str) -> dict:
    """A reference to another resource of the export."""
    return {"reference": f"{kind}/{resource_id}"}


def patient_resource(p: Patient, ctx: FhirContext) -> dict:
    """The Patient, identified by the MRN."""
    resource = {
        "resourceType": "Patient",
        "id": f"patient-{p.id}",
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": codes.IDENTIFIER_TYPE,
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": ctx.url("/mrn"),
                "value": p.mrn,
            }
        ],
        "name": [{"use": "official", "family": p.family_name, "given": p.given_name.split()}],
        "gender": p.sex or "unknown",
        "birthDate": p.birth_date.isoformat(),
    }
    if p.email:
        resource["telecom"] = [{"system": "email", "value": p.email}]
    return resource


def product_concept(product_id: int | None, ctx: FhirContext) -> dict:
    """The medicine: our product code and name, and the ATC code of every IVIG."""
    coding = []
    text = codes.IVIG_TEXT
    if product_id in ctx.products:
        code, text = ctx.products[product_id]
        coding.append(
            {"system": ctx.url("/fhir/CodeSystem/product"), "code": code, "display": text}
        )
    return {"coding": [*coding, codes.IVIG_ATC], "text": text}


def regimen_status(regimen: Regimen, *, current: Regimen | None, patient_status: str) -> str:
    """MedicationRequest.status of a regimen.

    The current regimen is active (on hold, or stopped once the patient is discharged);
    regimens are never edited, only followed, so the ones before it were stopped when it
    replaced them, and ones starting after it are planned orders, hence active.
    """
    if current is None or regimen.id == current.id:
        return {"on_hold": "on-hold", "discharged": "stopped"}.get(patient_status, "active")
    earlier = (regimen.starts_on, regimen.id) < (current.starts_on, current.id)
    return "stopped" if earlier else "active"


def medication_request(
    regimen: Regimen, *, status: str, ends_on: date | None, ctx: FhirContext
) -> dict:
    """A regimen: dose per kg as ordered, the dose calculated for the patient, and the
    interval as a Timing."""
    dose_text = f"{regimen.dose_g_per_kg:g} g/kg"
    if regimen.dose_g:
        dose_text += f" ({regimen.dose_g:g} g)"
    text = f"{dose_text} every {regimen.interval_days} days"
    if regimen.days_per_course > 1:
        text += f", each course over {regimen.days_per_course} days"
    bounds = {"start": regimen.starts_on.isoformat()}
    if ends_on is not None:
        bounds["end"] = ends_on.isoformat()
    dose_and_rate = [
        {
            "type": _dose_type("ordered", "Ordered"),
            "doseQuantity": _quantity(regimen.dose_g_per_kg, "g/kg", "g/kg"),
        }
    ]
    if regimen.dose_g:
        dose_and_rate.append(
            {
                "type": _dose_type("calculated", "Calculated"),
                "doseQuantity": _quantity(regimen.dose_g, "g", "g"),
            }
        )
    resource = {
        "resourceType": "MedicationRequest",
        "id": f"regimen-{regimen.id}",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": product_concept(regimen.product_id, ctx),
        "subject": ref("Patient", f"patient-{regimen.patient_id}"),
        "authoredOn": _instant(regimen.created_at),
        "dosageInstruction": [
            {
                "sequence": 1,
                "text": text,
                "timing": {
                    "repeat": {
                        "boundsPeriod": bounds,
                        "frequency": 1,
                        "period": regimen.interval_days,
                        "periodUnit": "d",
                    }
                },
                "route": INTRAVENOUS,
                "doseAndRate": dose_and_rate,
            }
        ],
    }
    notes = [n for n in (regimen.reason, _prefixed("Override", regimen.override_reason)) if n]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    return resource


def medication_administration(
    infusion: Infusion, lots: Sequence[InfusionLot], ctx: FhirContext
) -> dict:
    """A given course: product, dose in g, and each lot as a contained Medication.batch."""
    resource: dict = {
        "resourceType": "MedicationAdministration",
        "id": f"infusion-{infusion.id}",
        "status": "completed",
        "subject": ref("Patient", f"patient-{infusion.patient_id}"),
    }
    if lots:
        # FHIR R4 keeps a lot number only on Medication.batch, one lot per Medication: each
        # lot is a contained Medication (a vial of the product from that lot), and the
        # administered medicine lists them as its ingredients with the vials used.
        lot_meds = [
            _lot_medication(f"lot-{n}", infusion.product_id, lot, ctx)
            for n, lot in enumerate(lots, start=1)
        ]
        kit = {
            "resourceType": "Medication",
            "id": "med",
            "code": product_concept(infusion.product_id, ctx),
            "ingredient": [
                {
                    "itemReference": {"reference": f"#{med['id']}"},
                    "strength": {
                        "numerator": _quantity(lot.vials, "vial", "{vial}"),
                        "denominator": _quantity(1, "course", "{course}"),
                    },
                }
                for med, lot in zip(lot_meds, lots, strict=True)
            ],
        }
        resource["contained"] = [kit, *lot_meds]
        resource["medicationReference"] = {"reference": "#med"}
    else:
        resource["medicationCodeableConcept"] = product_concept(infusion.product_id, ctx)
    resource.update(_effective(infusion, ctx))
    if infusion.regimen_id is not None:
        resource["request"] = ref("MedicationRequest", f"regimen-{infusion.regimen_id}")
    notes = [
        _prefixed("Reactions", infusion.reactions),
        _prefixed("Premedication", infusion.premedication),
        infusion.notes,
    ]
    if any(notes):
        resource["note"] = [{"text": n} for n in notes if n]
    dosage: dict = {"route": INTRAVENOUS}
    if infusion.dose_g is not None:
        dosage["dose"] = _quantity(infusion.dose_g, "g", "g")
        over = f" over {infusion.days} days" if infusion.days > 1 else ""
        dosage["text"] = f"{infusion.dose_g:g} g{over}"
    resource["dosage"] = dosage
    return resource


def observation(a: Assessment, *, administered_ids: set[int], ctx: FhirContext) -> dict:
    """A score: LOINC for the dynamometer (in lbf), local codes for the rest."""
    code = codes.observation_code(a.measure, a.side)
    system = codes.LOINC if code.system == "loinc" else ctx.url("/fhir/CodeSystem/measure")
    resource: dict = {
        "resourceType": "Observation",
        "id": f"assessment-{a.id}",
        "extension": [
            {"url": ctx.url("/fhir/StructureDefinition/assessment-timing"), "valueCode": a.timing}
        ],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": codes.OBSERVATION_CATEGORY,
                        "code": code.category,
                        "display": code.category.title(),
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": system, "code": code.code, "display": code.display}],
            "text": code.display,
        },
        "subject": ref("Patient", f"patient-{a.patient_id}"),
        "effectiveDateTime": a.taken_on.isoformat(),
        "valueQuantity": _quantity(round(a.value * code.factor, 2), code.unit, code.ucum),
    }
    if a.side:
        resource["bodySite"] = {"coding": [codes.HAND[a.side]], "text": f"{a.side} hand"}
    if code.factor != 1.0:
        resource["note"] = [{"text": f"Recorded as {a.value:g} kg"}]
    if a.infusion_id in administered_ids:
        resource["partOf"] = [ref("MedicationAdministration", f"infusion-{a.infusion_id}")]
    return resource


def appointment(infusion: Infusion, ctx: FhirContext) -> dict:
    """A booking: booked, fulfilled (given), cancelled or noshow (missed), with its times."""
    start, end = _chair_times(infusion, ctx)
    description = "Infusion appointment"
    if infusion.days > 1:
        description += f" (first of {infusion.days} days)"
    participants = [
        {
            "actor": ref("Patient", f"patient-{infusion.patient_id}"),
            "required": "required",
            "status": "accepted",
        }
    ]
    if infusion.chair_id in ctx.chairs:
        participants.append(
            {
                "actor": {"display": ctx.chairs[infusion.chair_id]},
                "required": "required",
                "status": "accepted",
            }
        )
    resource = {
        "resourceType": "Appointment",
        "id": f"appointment-{infusion.id}",
        "status": APPOINTMENT_STATUS[infusion.status],
        "description": description,
        "start": _instant(start),
        "end": _instant(end),
        "minutesDuration": int((end - start).total_seconds() // 60),
        "created": _instant(infusion.created_at),
        "participant": participants,
    }
    if infusion.status == "cancelled" and infusion.cancel_reason:
        resource["cancelationReason"] = {"text": infusion.cancel_reason}
    if infusion.status == "given":
        resource["supportingInformation"] = [
            ref("MedicationAdministration", f"infusion-{infusion.id}")
        ]
    return resource


def coverage(
    authorization: FundingAuthorization, standing: AuthorizationStanding | None, ctx: FhirContext
) -> dict:
    """A funding authorisation: who pays (payor), for whom (beneficiary), its reference and
    period; the approved grams and courses, and what is used and booked against them on the
    export day, as the tracker's own extensions (Coverage has no field for an amount)."""
    grams = {"approved-grams": authorization.approved_g}
    counts = {"approved-courses": authorization.approved_courses}
    if standing is not None:
        grams |= {"used-grams": standing.used_g, "booked-grams": standing.booked_g}
        counts |= {"used-courses": standing.used_courses, "booked-courses": standing.booked_courses}
    extensions = [
        (name, {"valueQuantity": _quantity(round(value, 3), "g", "g")})
        for name, value in grams.items()
        if value is not None
    ] + [
        (name, {"valuePositiveInt" if name.startswith("approved") else "valueUnsignedInt": value})
        for name, value in counts.items()
        if value is not None
    ]
    resource: dict = {"resourceType": "Coverage", "id": f"authorization-{authorization.id}"}
    if extensions:
        resource["extension"] = [
            {"url": ctx.url(f"/fhir/StructureDefinition/authorization-{name}"), **value}
            for name, value in extensions
        ]
    resource.update(
        {
            "identifier": [{"value": authorization.reference}],
            # Coverage.status is active, cancelled (withdrawn), draft or entered-in-error: an
            # approval that has run its course is still active, its period says until when.
            "status": "active",
            "beneficiary": ref("Patient", f"patient-{authorization.patient_id}"),
            "period": {
                "start": authorization.starts_on.isoformat(),
                "end": authorization.ends_on.isoformat(),
            },
            "payor": [{"display": authorization.payer}],
        }
    )
    return resource


def bundle(resources: Sequence[dict], *, bundle_id: str, stamp: datetime, ctx: FhirContext) -> dict:
    """A collection Bundle of resources, each with its absolute fullUrl."""
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "type": "collection",
        "timestamp": _instant(stamp),
        "entry": [
            {"fullUrl": ctx.url(f"/fhir/{r['resourceType']}/{r['id']}"), "resource": r}
            for r in resources
        ],
    }


def _lot_medication(
    med_id: str, product_id: int | None, lot: InfusionLot, ctx: FhirContext
) -> dict:
    med: dict = {
        "resourceType": "Medication",
        "id": med_id,
        "code": product_concept(product_id, ctx),
        "batch": {"lotNumber": lot.lot_number},
    }
    if lot.expires_on is not None:
        med["batch"]["expirationDate"] = lot.expires_on.isoformat()
    if lot.size_g:
        # One vial of the product holds this much.
        med["amount"] = {
            "numerator": _quantity(lot.size_g, "g", "g"),
            "denominator": _quantity(1, "vial", "{vial}"),
        }
    return med


def _effective(infusion: Infusion, ctx: FhirContext) -> dict:
    first = infusion.scheduled_on
    if infusion.days <= 1 and infusion.start_time is None:
        return {"effectiveDateTime": first.isoformat()}
    start, end = _chair_times(infusion, ctx)
    last_day = first + timedelta(days=infusion.days - 1)
    return {
        "effectivePeriod": {
            "start": _instant(start),
            "end": _instant(datetime.combine(last_day, end.astimezone(ctx.zone).timetz())),
        }
    }


def _chair_times(infusion: Infusion, ctx: FhirContext) -> tuple[datetime, datetime]:
    # Local wall-clock times in the site's zone; a course booked without a time holds the
    # chair for the clinic day.
    day = infusion.scheduled_on
    if infusion.start_time is None:
        return (
            datetime.combine(day, ctx.clinic_opens, tzinfo=ctx.zone),
            datetime.combine(day, ctx.clinic_closes, tzinfo=ctx.zone),
        )
    start = datetime.combine(day, infusion.start_time, tzinfo=ctx.zone)
    return start, start + timedelta(minutes=infusion.chair_minutes or 240)


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:  # stored instants are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _quantity(value: float, unit: str, ucum: str) -> dict:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": ucum}


def _dose_type(code: str, display: str) -> dict:
    return {"coding": [{"system": codes.DOSE_RATE_TYPE, "code": code, "display": display}]}


def _prefixed(label: str, text: str | None) -> str | None:
    return f"{label}: {text}" if text else None
