"""Claiming an intro while another submission's intro vanishes (storage/intros.py `claim_intro`). Real database,
migrations applied, two `Database` handles standing for two devices of one member.

On PostgreSQL (read committed) the race is real: device A inserts the intro and claims its card; Discord refuses
the card, and `release_claim` takes A's intro away again, between device B's insert (which met A's row and
inserted nothing) and B's lock (which finds no row). B must insert again and post, not fail with "something
went wrong" (seen once in CI: tests/features/test_intros_races.py). SQLite has one writer at a time, so B's
insert and lock cannot be split there."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage import Database, intros
from storage.models.intros import Intro

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
GUILD, ALICE = 42, 7
FROM_THE_LAPTOP = {"name": "Alice", "heritages": "Japanese", "languages": "", "location": "", "story": "laptop"}
FROM_THE_PHONE = {**FROM_THE_LAPTOP, "story": "phone"}


@pytest.fixture
def two(db_url: str, two_databases: tuple[Database, Database]) -> tuple[Database, Database]:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's single writer cannot split one submission's insert from its lock")
    return two_databases


async def claim(database: Database, text: dict[str, str], token: str) -> intros.Claim:
    async with database.write() as session:
        return await intros.claim_intro(
            session,
            guild_id=GUILD,
            user_id=ALICE,
            text=text,
            heritage_tags=["japanese"],
            language_tags=[],
            token=token,
            now=NOW,
        )


async def test_an_intro_released_between_the_insert_and_the_lock_is_inserted_again(
    two: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop, phone = two
    refused = await claim(laptop, FROM_THE_LAPTOP, "laptop")
    assert refused.created and refused.posting

    real_lock = intros.lock_intro
    released: list[bool] = []

    async def lock_after_the_laptop_releases(session: Any, guild_id: int, user_id: int) -> Intro | None:
        if not released:  # the phone's insert met the laptop's intro; now the laptop's card is refused
            async with laptop.write() as other:
                released.append(await intros.release_claim(other, refused, "laptop"))
        return await real_lock(session, guild_id, user_id)

    monkeypatch.setattr(intros, "lock_intro", lock_after_the_laptop_releases)
    posting = await claim(phone, FROM_THE_PHONE, "phone")

    assert released == [True]  # the laptop's intro was gone when the phone looked
    assert posting.created and posting.posting  # the phone made the intro again and posts its card
    async with phone.read() as session:
        rows = (await session.scalars(select(Intro).where(Intro.guild_id == GUILD))).all()
    assert [(row.user_id, row.story, row.card_claim) for row in rows] == [(ALICE, "phone", "phone")]
