"""What a scheduled prompt's post and an occasion's post share: a claim that one process at a time holds on a
lease (a dead or stalled holder's runs out), renewed just before posting, released for a retry, and what became
of its thread. `prompt_posts` and `occasion_posts` have the same lease columns; `PostLeases(model)` gives these
queries for one of them (storage/prompts/leases.py and storage/occasions.py each keep one). They take a
session; they never open one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.models.occasions import OccasionPost
from storage.models.prompts import PromptPost

LEASE = timedelta(minutes=2)


class PostLeases:
    def __init__(self, model: type[PromptPost] | type[OccasionPost]) -> None:
        self.model = model

    def free(self, now: datetime) -> ColumnElement[bool]:
        """No process holds the claim: never leased, released, or its lease ran out (its holder died or stalled)."""
        return or_(self.model.lease_until.is_(None), self.model.lease_until < now)

    def retry_due(self, now: datetime) -> ColumnElement[bool]:
        return or_(self.model.retry_at.is_(None), self.model.retry_at <= now)

    async def take(
        self, session: AsyncSession, post_id: int, status: str, previous: str | None, owner: str, now: datetime
    ) -> bool:
        """Lease one claim for `owner` ("claimed": to post it; "posted": to open its pending thread): a conditional
        update on its status, its previous holder and an expired (or absent) lease, so that of any number of
        processes racing for it exactly one wins."""
        model = self.model
        conditions = [model.id == post_id, model.status == status, self.free(now)]
        conditions.append(model.lease_owner.is_not_distinct_from(previous))
        if status == "posted":
            conditions.append(model.thread_state == "pending")
        return await self._update(session, conditions, lease_until=now + LEASE, lease_owner=owner)

    async def renew(self, session: AsyncSession, post_id: int, owner: str, now: datetime) -> bool:
        """Extend `owner`'s lease on an unposted claim just before posting it; False if it no longer holds the claim
        (its lease ran out and another process took it over, or the claim was skipped or dropped)."""
        held = [self.model.id == post_id, self.model.status == "claimed", self.model.lease_owner == owner]
        return await self._update(session, held, lease_until=now + LEASE)

    async def release(
        self, session: AsyncSession, post_id: int, owner: str, *, attempts: int, retry_at: datetime, error: str
    ) -> bool:
        """Leave a claim unposted and free, to be tried again from `retry_at`; False if `owner` no longer held it."""
        held = [self.model.id == post_id, self.model.status == "claimed", self.model.lease_owner == owner]
        return await self._update(
            session,
            held,
            lease_until=None,
            lease_owner=None,
            attempts=attempts,
            retry_at=retry_at,
            last_error=error[:300],
        )

    async def record_thread(
        self,
        session: AsyncSession,
        post_id: int,
        owner: str,
        state: str,
        *,
        thread_id: int | None = None,
        attempts: int | None = None,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> bool:
        """Record what became of a posted claim's thread (open, pending with a retry time, failed, gone) and free it;
        False if `owner` no longer held it."""
        values: dict[str, object] = {
            "thread_state": state,
            "retry_at": retry_at,
            "last_error": error[:300] if error else None,
            "lease_until": None,
            "lease_owner": None,
        }
        if thread_id is not None:
            values["thread_id"] = thread_id
        if attempts is not None:
            values["attempts"] = attempts
        held = [self.model.id == post_id, self.model.status == "posted", self.model.lease_owner == owner]
        return await self._update(session, held, **values)

    async def _update(self, session: AsyncSession, conditions: list[ColumnElement[bool]], **values: object) -> bool:
        statement = update(self.model).where(*conditions).values(**values)
        return rowcount(await session.execute(statement.execution_options(synchronize_session=False))) == 1
