"""Every table that holds member ids is covered by a privacy provider (export and delete)."""

from __future__ import annotations

import re

from bot import LanternBot
from storage.models import Base

# Column names that identify a member. A new table with such a column must be claimed by a provider.
MEMBER_COLUMN = re.compile(
    r"(^user_id$|^member_id$|_user_id$|^mentor_id$|^mentee_id$|_by_id$|_by$|^submitter_id$|^suggester_id$"
    r"|^author_id$|^owner_id$|^voter_id$|^blocker_id$|^blocked_id$|^target_id$|^rater_id$|^actor_id$|^moderator_id$)"
)


def member_tables() -> dict[str, list[str]]:
    found = {}
    for table in Base.metadata.sorted_tables:
        columns = [column.name for column in table.columns if MEMBER_COLUMN.search(column.name)]
        if columns:
            found[table.name] = columns
    return found


def test_the_detector_finds_the_known_member_tables() -> None:
    """The column rule recognises tables we know hold member ids (a guard against a rule that finds nothing)."""
    tables = member_tables()
    assert {"intros", "departures"} <= set(tables)


async def test_every_member_table_is_exported_and_deleted(loaded_bot: LanternBot) -> None:
    """No table holding member ids is left out of /privacy export and /privacy delete."""
    covered = loaded_bot.privacy.covered_tables()
    missing = {name: cols for name, cols in member_tables().items() if name not in covered}
    assert not missing, f"tables with member ids not covered by any PrivacyProvider: {missing}"


async def test_providers_only_claim_real_tables(loaded_bot: LanternBot) -> None:
    """A provider's table list names tables that exist."""
    assert loaded_bot.privacy.covered_tables() <= set(Base.metadata.tables)
