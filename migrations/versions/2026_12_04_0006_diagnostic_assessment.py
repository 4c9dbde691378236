"""diagnostic assessments: the findings of the EFNS/PNS criteria (clinical rules 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('diagnostic_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('symptom_onset_on', sa.Date(), nullable=True),
    sa.Column('diagnosis_on', sa.Date(), nullable=True),
    sa.Column('weak_nerves', sa.Integer(), nullable=True),
    sa.Column('weakness_over_1_month', sa.Boolean(), nullable=True),
    sa.Column('definite_block_nerves', sa.Integer(), nullable=True),
    sa.Column('probable_block_segments', sa.Integer(), nullable=True),
    sa.Column('sensory_conduction_normal', sa.Boolean(), nullable=True),
    sa.Column('anti_gm1_igm_raised', sa.Boolean(), nullable=True),
    sa.Column('csf_protein_raised', sa.Boolean(), nullable=True),
    sa.Column('mri_plexus_t2', sa.Boolean(), nullable=True),
    sa.Column('improved_after_ivig', sa.Boolean(), nullable=True),
    sa.Column('upper_motor_neuron_signs', sa.Boolean(), nullable=True),
    sa.Column('marked_bulbar', sa.Boolean(), nullable=True),
    sa.Column('sensory_beyond_minor_vibration', sa.Boolean(), nullable=True),
    sa.Column('diffuse_symmetric_early_weakness', sa.Boolean(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('created_at', tracker.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('definite_block_nerves IS NULL OR definite_block_nerves BETWEEN 0 AND 50', name=op.f('ck_diagnostic_assessment_definite_block_nerves_range')),
    sa.CheckConstraint('probable_block_segments IS NULL OR probable_block_segments BETWEEN 0 AND 50', name=op.f('ck_diagnostic_assessment_probable_block_segments_range')),
    sa.CheckConstraint('symptom_onset_on IS NULL OR symptom_onset_on <= assessed_on', name=op.f('ck_diagnostic_assessment_onset_not_after_assessment')),
    sa.CheckConstraint('weak_nerves IS NULL OR weak_nerves BETWEEN 0 AND 50', name=op.f('ck_diagnostic_assessment_weak_nerves_range')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['staff_user.id'], name=op.f('fk_diagnostic_assessment_assessed_by_id_staff_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_diagnostic_assessment_patient_id_patient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnostic_assessment'))
    )
    with op.batch_alter_table('diagnostic_assessment', schema=None) as batch_op:
        batch_op.create_index('ix_diagnostic_assessment_patient_day', ['patient_id', 'assessed_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('diagnostic_assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_diagnostic_assessment_patient_day')

    op.drop_table('diagnostic_assessment')
