"""seed products from their labels and the first infusion chairs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Vial contents and infusion rates from each product's prescribing information (US labels;
# Kiovig is Gammagard Liquid's EU name). Rates in mg IgG/kg/min: the label's first rate and
# its highest rate for chronic (CIDP/MMN/ITP) use. Sites should check these against their
# own formulary; admins can change them.
PRODUCTS = [
    # code, name, manufacturer, %, vial sizes g, start, max mg/kg/min
    ("privigen", "Privigen 10%", "CSL Behring", 10.0, "5,10,20,40", 0.5, 8.0),
    ("gammagard", "Gammagard Liquid 10% / Kiovig", "Takeda", 10.0, "1,2.5,5,10,20,30", 0.8, 9.0),
    ("octagam10", "Octagam 10%", "Octapharma", 10.0, "2,5,10,20,30", 1.0, 12.0),
    ("panzyga", "Panzyga 10%", "Pfizer / Octapharma", 10.0, "1,2.5,5,10,20,30", 1.0, 12.0),
    ("gamunexc", "Gamunex-C 10%", "Grifols", 10.0, "1,2.5,5,10,20,40", 2.0, 8.0),
    ("flebogamma10", "Flebogamma 10% DIF", "Grifols", 10.0, "5,10,20", 1.0, 8.0),
]

CHAIRS = [("C1", "Chair 1"), ("C2", "Chair 2"), ("C3", "Chair 3"), ("C4", "Chair 4")]


def upgrade() -> None:
    product = sa.table(
        "product",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("manufacturer", sa.String),
        sa.column("concentration_percent", sa.Float),
        sa.column("vial_sizes_g", sa.String),
        sa.column("start_rate_mg_per_kg_per_min", sa.Float),
        sa.column("max_rate_mg_per_kg_per_min", sa.Float),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        product,
        [
            {
                "code": code,
                "name": name,
                "manufacturer": maker,
                "concentration_percent": percent,
                "vial_sizes_g": sizes,
                "start_rate_mg_per_kg_per_min": start,
                "max_rate_mg_per_kg_per_min": top,
                "active": True,
            }
            for code, name, maker, percent, sizes, start, top in PRODUCTS
        ],
    )
    chair = sa.table(
        "chair",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("booking_version", sa.Integer),
    )
    op.bulk_insert(
        chair, [{"code": c, "name": n, "active": True, "booking_version": 0} for c, n in CHAIRS]
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM chair WHERE code IN ('C1', 'C2', 'C3', 'C4')"))
    op.execute(
        sa.text(
            "DELETE FROM product WHERE code IN "
            "('privigen', 'gammagard', 'octagam10', 'panzyga', 'gamunexc', 'flebogamma10')"
        )
    )
