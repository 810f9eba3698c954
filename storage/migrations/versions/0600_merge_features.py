"""merge the feature branches into one head

Revision ID: 0600
Revises: 0002, 0101, 0201, 0301, 0401, 0501
"""

from collections.abc import Sequence

revision: str = "0600"
down_revision: str | Sequence[str] | None = ("0002", "0101", "0201", "0301", "0401", "0501")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
