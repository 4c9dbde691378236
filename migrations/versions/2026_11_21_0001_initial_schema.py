"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('booking_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chair')),
    sa.UniqueConstraint('code', name=op.f('uq_chair_code'))
    )
    op.create_table('lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('expires_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_lease'))
    )
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('attempted_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempt_ip_at', ['ip_address', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempt_username_at', ['username', 'attempted_at'], unique=False)

    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mrn', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('given_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('family_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('height_cm', sa.Float(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('reminder_consent', sa.Boolean(), nullable=False),
    sa.Column('diagnosis', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('min_interval_days', sa.Integer(), nullable=True),
    sa.Column('max_interval_days', sa.Integer(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sex IS NULL OR sex IN ('female', 'male')", name=op.f('ck_patient_sex')),
    sa.CheckConstraint("status IN ('active', 'on_hold', 'discharged')", name=op.f('ck_patient_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient'))
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index('ix_patient_family_name', ['family_name', 'given_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_mrn'), ['mrn'], unique=True)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('manufacturer', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('concentration_percent', sa.Float(), nullable=False),
    sa.Column('vial_sizes_g', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('start_rate_mg_per_kg_per_min', sa.Float(), nullable=False),
    sa.Column('max_rate_mg_per_kg_per_min', sa.Float(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('code', name=op.f('uq_product_code'))
    )
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('password_changed_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('viewer', 'nurse', 'pharmacist', 'admin')", name=op.f('ck_staff_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_user_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('login', 'integration')", name=op.f('ck_api_token_kind')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_api_token_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('prev_hmac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hmac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_audit_event_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_actor', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_patient', ['patient_id', 'at'], unique=False)

    op.create_table('patient_state',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('evaluated_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('regimen_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('next_booking_id', sa.Integer(), nullable=True),
    sa.Column('next_booking_on', sa.Date(), nullable=True),
    sa.Column('last_booking_on', sa.Date(), nullable=True),
    sa.Column('needs_booking_from', sa.Date(), nullable=True),
    sa.Column('overdue_from', sa.Date(), nullable=True),
    sa.Column('review_due_from', sa.Date(), nullable=True),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.Column('weight_stale_from', sa.Date(), nullable=True),
    sa.Column('waning_patterns', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('waning_detail', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('recommendation_action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('proposed_interval_days', sa.Integer(), nullable=True),
    sa.Column('proposed_dose_g_per_kg', sa.Float(), nullable=True),
    sa.Column('recommendation_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_state_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_patient_state'))
    )
    with op.batch_alter_table('patient_state', schema=None) as batch_op:
        batch_op.create_index('ix_state_action', ['recommendation_action'], unique=False)
        batch_op.create_index('ix_state_needs_booking_from', ['needs_booking_from'], unique=False)
        batch_op.create_index('ix_state_overdue_from', ['overdue_from'], unique=False)
        batch_op.create_index('ix_state_review_due_from', ['review_due_from'], unique=False)
        batch_op.create_index('ix_state_window_start', ['window_start'], unique=False)

    op.create_table('regimen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('dose_g_per_kg', sa.Float(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('days_per_course', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('weight_basis', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('override_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('dosing_weight_kg', sa.Float(), nullable=True),
    sa.Column('weight_basis_used', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('dose_g', sa.Float(), nullable=True),
    sa.Column('from_action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days_per_course BETWEEN 1 AND 5', name=op.f('ck_regimen_days')),
    sa.CheckConstraint('dose_g_per_kg > 0', name=op.f('ck_regimen_dose_positive')),
    sa.CheckConstraint('interval_days > 0', name=op.f('ck_regimen_interval_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_regimen_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_regimen_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_regimen_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regimen'))
    )
    with op.batch_alter_table('regimen', schema=None) as batch_op:
        batch_op.create_index('ix_regimen_patient_start', ['patient_id', 'starts_on'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('continue', 'change', 'stop')", name=op.f('ck_review_outcome')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_review_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_user.id'], name=op.f('fk_review_reviewed_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index('ix_review_patient_day', ['patient_id', 'reviewed_on'], unique=False)

    op.create_table('site_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_user.id'], name=op.f('fk_site_policy_updated_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_policy'))
    )
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_web_session_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_session_token_hash'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)

    op.create_table('weight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight_kg > 0', name=op.f('ck_weight_positive')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_weight_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_weight_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight'))
    )
    with op.batch_alter_table('weight', schema=None) as batch_op:
        batch_op.create_index('ix_weight_patient_day', ['patient_id', 'measured_on'], unique=False)

    op.create_table('infusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('regimen_id', sa.Integer(), nullable=True),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('chair_minutes', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('dose_g', sa.Float(), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('reactions', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('premedication', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('given_by_id', sa.Integer(), nullable=True),
    sa.Column('given_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('cancelled_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'given', 'cancelled', 'missed')", name=op.f('ck_infusion_status')),
    sa.CheckConstraint('days BETWEEN 1 AND 5', name=op.f('ck_infusion_days')),
    sa.ForeignKeyConstraint(['chair_id'], ['chair.id'], name=op.f('fk_infusion_chair_id_chair')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_infusion_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['given_by_id'], ['staff_user.id'], name=op.f('fk_infusion_given_by_id_staff_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_infusion_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_infusion_product_id_product')),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimen.id'], name=op.f('fk_infusion_regimen_id_regimen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_infusion'))
    )
    with op.batch_alter_table('infusion', schema=None) as batch_op:
        batch_op.create_index('ix_infusion_day_status', ['scheduled_on', 'status'], unique=False)
        batch_op.create_index('ix_infusion_patient_day', ['patient_id', 'scheduled_on'], unique=False)
        batch_op.create_index('uq_infusion_chair_start', ['chair_id', 'scheduled_on', 'start_time'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))

    op.create_table('recommendation_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('regimen_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('new_regimen_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('accepted', 'dismissed')", name=op.f('ck_recommendation_decision_decision')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_recommendation_decision_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['new_regimen_id'], ['regimen.id'], name=op.f('fk_recommendation_decision_new_regimen_id_regimen')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_recommendation_decision_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['regimen_id'], ['regimen.id'], name=op.f('fk_recommendation_decision_regimen_id_regimen'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_decision'))
    )
    with op.batch_alter_table('recommendation_decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_regimen', ['regimen_id', 'action'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendation_decision_patient_id'), ['patient_id'], unique=False)

    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('measure', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('timing', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
    sa.Column('infusion_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IS NULL OR side IN ('left', 'right')", name=op.f('ck_assessment_side')),
    sa.CheckConstraint("timing IN ('pre_infusion', 'post_infusion', 'clinic')", name=op.f('ck_assessment_timing')),
    sa.ForeignKeyConstraint(['infusion_id'], ['infusion.id'], name=op.f('fk_assessment_infusion_id_infusion')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_assessment_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_assessment_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_patient_day', ['patient_id', 'taken_on'], unique=False)

    op.create_table('infusion_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('infusion_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('vials', sa.Integer(), nullable=False),
    sa.Column('size_g', sa.Float(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.CheckConstraint('vials > 0', name=op.f('ck_infusion_lot_vials_positive')),
    sa.ForeignKeyConstraint(['infusion_id'], ['infusion.id'], name=op.f('fk_infusion_lot_infusion_id_infusion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_infusion_lot'))
    )
    with op.batch_alter_table('infusion_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infusion_lot_infusion_id'), ['infusion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_lot_lot_number'), ['lot_number'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('infusion_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body_html', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('sent_at', tracker.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=250), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')", name=op.f('ck_outbox_message_status')),
    sa.ForeignKeyConstraint(['infusion_id'], ['infusion.id'], name=op.f('fk_outbox_message_infusion_id_infusion')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_outbox_message_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_message_dedup_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_infusion_id'), ['infusion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_patient_id'), ['patient_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_patient_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_infusion_id'))
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox_message')
    with op.batch_alter_table('infusion_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infusion_lot_lot_number'))
        batch_op.drop_index(batch_op.f('ix_infusion_lot_infusion_id'))

    op.drop_table('infusion_lot')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_patient_day')

    op.drop_table('assessment')
    with op.batch_alter_table('recommendation_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_decision_patient_id'))
        batch_op.drop_index('ix_decision_regimen')

    op.drop_table('recommendation_decision')
    with op.batch_alter_table('infusion', schema=None) as batch_op:
        batch_op.drop_index('uq_infusion_chair_start', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index('ix_infusion_patient_day')
        batch_op.drop_index('ix_infusion_day_status')

    op.drop_table('infusion')
    with op.batch_alter_table('weight', schema=None) as batch_op:
        batch_op.drop_index('ix_weight_patient_day')

    op.drop_table('weight')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))

    op.drop_table('web_session')
    op.drop_table('site_policy')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_patient_day')

    op.drop_table('review')
    with op.batch_alter_table('regimen', schema=None) as batch_op:
        batch_op.drop_index('ix_regimen_patient_start')

    op.drop_table('regimen')
    with op.batch_alter_table('patient_state', schema=None) as batch_op:
        batch_op.drop_index('ix_state_window_start')
        batch_op.drop_index('ix_state_review_due_from')
        batch_op.drop_index('ix_state_overdue_from')
        batch_op.drop_index('ix_state_needs_booking_from')
        batch_op.drop_index('ix_state_action')

    op.drop_table('patient_state')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_patient')
        batch_op.drop_index('ix_audit_at')
        batch_op.drop_index('ix_audit_actor')

    op.drop_table('audit_event')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('staff_user')
    op.drop_table('product')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_mrn'))
        batch_op.drop_index('ix_patient_family_name')

    op.drop_table('patient')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_username_at')
        batch_op.drop_index('ix_login_attempt_ip_at')

    op.drop_table('login_attempt')
    op.drop_table('lease')
    op.drop_table('chair')
