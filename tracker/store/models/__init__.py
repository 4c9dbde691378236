"""All tables, imported here so that SQLModel.metadata knows every one of them."""

from sqlmodel import SQLModel

# Deterministic constraint names, so that migrations name the same thing on SQLite and
# PostgreSQL and batch mode can find constraints again.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# ruff: noqa: E402 (the convention must be set before the tables are declared)

from tracker.store.models.authorizations import FundingAuthorization
from tracker.store.models.diagnosis import DiagnosticAssessment
from tracker.store.models.interop import CalendarFeed as CalendarFeed
from tracker.store.models.interop import DiaryLink as DiaryLink
from tracker.store.models.interop import DiaryNote as DiaryNote
from tracker.store.models.opening import ClosureDay, OpeningHours, SiteCalendar
from tracker.store.models.other_treatments import OtherTreatment, OtherTreatmentKind
from tracker.store.models.patients import PATIENT_STATUSES, SEXES, Patient, Weight
from tracker.store.models.scores import Assessment, RecommendationDecision, Review
from tracker.store.models.staff import ROLES, ApiToken, LoginAttempt, StaffUser, WebSession
from tracker.store.models.system import (
    AuditEvent,
    Lease,
    OutboxMessage,
    PatientState,
    PatientStateVersion,
    SitePolicyRow,
    SiteSettingsVersion,
)
from tracker.store.models.treatment import (
    INFUSION_STATUSES,
    WEIGHT_BASES,
    Chair,
    Infusion,
    InfusionLot,
    Product,
    Regimen,
)

__all__ = [
    "INFUSION_STATUSES",
    "PATIENT_STATUSES",
    "ROLES",
    "SEXES",
    "WEIGHT_BASES",
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Chair",
    "ClosureDay",
    "DiagnosticAssessment",
    "FundingAuthorization",
    "Infusion",
    "InfusionLot",
    "Lease",
    "LoginAttempt",
    "OpeningHours",
    "OtherTreatment",
    "OtherTreatmentKind",
    "OutboxMessage",
    "Patient",
    "PatientState",
    "PatientStateVersion",
    "SiteSettingsVersion",
    "Product",
    "RecommendationDecision",
    "Regimen",
    "Review",
    "SiteCalendar",
    "SitePolicyRow",
    "StaffUser",
    "WebSession",
    "Weight",
]
