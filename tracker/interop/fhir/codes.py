"""Code systems and codes the tracker's FHIR resources use, in one place."""

from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DOSE_RATE_TYPE = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Every product is a normal human immunoglobulin for intravascular use: the ATC code says so
# to any system that does not know our product codes.
IVIG_ATC = {
    "system": ATC,
    "code": "J06BA02",
    "display": "immunoglobulins, normal human, for intravascular adm.",
}
IVIG_TEXT = "Human normal immunoglobulin (IVIG)"

# kg as a dynamometer reads it is kilogram-force; 1 kgf = 9.80665 N, 1 lbf = 4.4482216152605 N.
LBF_PER_KGF = 9.80665 / 4.4482216152605

HAND = {
    "left": {"system": SNOMED, "code": "85151006", "display": "Structure of left hand"},
    "right": {"system": SNOMED, "code": "78791008", "display": "Structure of right hand"},
}


@dataclass(frozen=True)
class ObservationCode:
    """How one measure (and side) is coded: code system, code, unit and category."""

    system: str  # "loinc", or "local" for the tracker's own code system
    code: str
    display: str
    ucum: str  # the UCUM code of the value's unit
    unit: str  # the unit as people read it
    # "exam" for what staff measure on the body (grip, MRC); "survey" for assessment scales
    # and what the patient reports (RODS, INCAT, ONLS, wear-off).
    category: str
    factor: float = 1.0  # stored value x factor = the value in `ucum`


# LOINC codes the hand grip by dynamometer only (83173-5 left, 83174-3 right, members of the
# NIH Toolbox panel 83145-3), as a force in pounds: our dynamometer readings (kg) are
# converted. The Vigorimeter reads a pressure (kPa), which those codes do not describe, so it
# gets a local code, like the disability scales that LOINC has no codes for.
DYNAMOMETER = {
    "left": ObservationCode(
        "loinc",
        "83173-5",
        "Grip strength Hand - left Dynamometer",
        "[lbf_av]",
        "lbf",
        "exam",
        LBF_PER_KGF,
    ),
    "right": ObservationCode(
        "loinc",
        "83174-3",
        "Grip strength Hand - right Dynamometer",
        "[lbf_av]",
        "lbf",
        "exam",
        LBF_PER_KGF,
    ),
}
LOCAL = {
    "grip_vigorimeter": ObservationCode(
        "local", "grip_vigorimeter", "Grip strength (Martin Vigorimeter)", "kPa", "kPa", "exam"
    ),
    "mrc_sum": ObservationCode("local", "mrc_sum", "MRC sum score", "{score}", "points", "exam"),
    "rods": ObservationCode(
        "local",
        "rods",
        "Rasch-built Overall Disability Scale (RODS)",
        "{centile}",
        "centile",
        "survey",
    ),
    "incat": ObservationCode(
        "local", "incat", "INCAT disability score", "{score}", "points", "survey"
    ),
    "onls": ObservationCode(
        "local",
        "onls",
        "Overall Neuropathy Limitations Scale (ONLS)",
        "{score}",
        "points",
        "survey",
    ),
    "wear_off_day": ObservationCode(
        "local",
        "wear_off_day",
        "Day of the cycle the treatment effect wore off (patient-reported)",
        "d",
        "day",
        "survey",
    ),
}


def observation_code(measure: str, side: str | None) -> ObservationCode:
    """The code of a score of this measure and side; KeyError for an unknown measure."""
    if measure == "grip_dynamometer":
        return DYNAMOMETER[side or ""]
    return LOCAL[measure]
