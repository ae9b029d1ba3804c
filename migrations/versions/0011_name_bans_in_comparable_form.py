"""bans: name bans stored in the form names are compared in

A name ban's value was stored case-folded only, so a ban typed in decomposed Unicode
(``Jose`` + combining acute) never matched a poster's ``José``, which is stored composed. Names
are now compared NFKC-normalized and case-folded, with inner spaces collapsed; this rewrites the
name bans made before in that form. Data only: the schema does not change, and a downgrade
leaves the values as they are (they are still case-folded, which is all the older code needs).

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03 08:40:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _comparable(name: str) -> str:
    # The migration's own copy of ``engagement.parsing.comparable_name`` as of this revision.
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def upgrade() -> None:
    conn = op.get_bind()
    bans = sa.table("bans", sa.column("id", sa.Integer), sa.column("kind"), sa.column("value"))
    rows = conn.execute(sa.select(bans.c.id, bans.c.value).where(bans.c.kind == "name"))
    for ident, value in rows.fetchall():
        comparable = _comparable(value)[:254]
        if comparable != value:
            conn.execute(sa.update(bans).where(bans.c.id == ident).values(value=comparable))


def downgrade() -> None:
    pass
