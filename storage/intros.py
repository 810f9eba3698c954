"""Queries on introductions. They take a session; they never open one.

INTERFACE used by mentorship: `intro_summary(session, guild_id, user_id) -> str | None`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, bindparam, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import truncate
from storage.database import Reader, dialect_insert, rowcount
from storage.intro_drafts import DRAFT_FIELDS, drop_draft
from storage.models.intros import Intro, IntroFormDraft, IntroTag, IntroTagCount

HERITAGE = "heritage"
LANGUAGE = "language"
THEME = "theme"  # a theme the member would like to talk about (a guild theme's key), chosen after the form
SUMMARY_MAX = 400
MIN_PARTIAL = 2  # a keyword this long or longer also finds tags that contain it ("viet" → vietnamese)
# A submission posting a card holds the row this long; after it, the claim is taken to have died with
# its process and the next submission posts the card. A post takes well under a second, and discord.py
# retries a failing one for about 15 seconds.
CLAIM_LEASE = timedelta(minutes=1)
CLAIM_ATTEMPTS = 3  # inserts tried when a racing submission's intro vanishes in between (claim_intro)


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a member's card message is (either may be missing)."""

    channel_id: int | None
    message_id: int | None


@dataclass(slots=True)
class Candidate:
    """A discoverable member who shares something with a search, and what."""

    user_id: int
    updated_at: datetime
    heritages: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    keyword: bool = False


async def get_intro(session: AsyncSession, guild_id: int, user_id: int) -> Intro | None:
    return await session.scalar(select(Intro).where(Intro.guild_id == guild_id, Intro.user_id == user_id))


async def lock_intro(session: AsyncSession, guild_id: int, user_id: int) -> Intro | None:
    """The member's intro as committed now, locked until this transaction ends (PostgreSQL; SQLite's single
    writer needs no lock), so two writers of the same intro take turns."""
    return await session.scalar(
        select(Intro)
        .where(Intro.guild_id == guild_id, Intro.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def save_intro(
    session: AsyncSession,
    *,
    guild_id: int,
    user_id: int,
    text: dict[str, str],
    heritage_tags: Iterable[str],
    language_tags: Iterable[str],
    card: CardRef,
    now: datetime,
) -> tuple[Intro, bool]:
    """Create or replace a member's intro and its tags. Returns (intro, created).

    `text` holds name, heritages, languages, location and story. One intro per (guild, member) is a
    unique constraint; on SQLite the writer's BEGIN IMMEDIATE makes this read-then-write safe.
    """
    intro = await get_intro(session, guild_id, user_id)
    created = intro is None
    if intro is None:
        intro = Intro(guild_id=guild_id, user_id=user_id, discoverable=False, created_at=now, tags=[])
        session.add(intro)
    for name, value in text.items():
        setattr(intro, name, value)
    intro.channel_id, intro.message_id = card.channel_id, card.message_id
    intro.updated_at = now
    await _set_tags(session, intro, heritage_tags, language_tags)
    await session.flush()
    await drop_draft(session, guild_id, user_id)
    return intro, created


async def _set_tags(
    session: AsyncSession, intro: Intro, heritage_tags: Iterable[str], language_tags: Iterable[str]
) -> None:
    """Replace the intro's heritage and language tags; its themes are not in the form, so they stay."""
    kept_themes = {key for key in _tag_keys(intro) if key[0] == THEME}
    wanted = {(HERITAGE, tag) for tag in heritage_tags} | {(LANGUAGE, tag) for tag in language_tags} | kept_themes
    await _replace_tags(session, intro, wanted)


async def _replace_tags(session: AsyncSession, intro: Intro, wanted: set[tuple[str, str]]) -> None:
    """Make the intro's tags `wanted` ((kind, tag) pairs), keeping the guild's counts (`_count_tags`) when the intro
    is discoverable."""
    before = _tag_keys(intro)
    intro.tags = [tag for tag in intro.tags if (tag.kind, tag.tag) in wanted]
    intro.tags.extend(
        IntroTag(guild_id=intro.guild_id, user_id=intro.user_id, kind=kind, tag=tag)
        for kind, tag in sorted(wanted - before)
    )
    if intro.discoverable:
        await _count_tags(
            session, intro.guild_id, {**dict.fromkeys(before - wanted, -1), **dict.fromkeys(wanted - before, 1)}
        )


def _tag_keys(intro: Intro) -> set[tuple[str, str]]:
    return {(tag.kind, tag.tag) for tag in intro.tags}


async def _count_tags(session: AsyncSession, guild_id: int, deltas: dict[tuple[str, str], int]) -> None:
    """Add each (kind, tag)'s delta to the guild's count of discoverable members carrying it, in one upsert of rows in
    key order (atomic under concurrent writers, and two writers lock shared rows in the same order: no deadlock);
    a count that reaches 0 is deleted. Called wherever an intro's tags or `discoverable` change or an intro goes, so
    `tag_counts` reads counts instead of counting every tag row."""
    changes = sorted((key, delta) for key, delta in deltas.items() if delta)
    if not changes:
        return
    rows = [{"guild_id": guild_id, "kind": kind, "tag": tag, "members": delta} for (kind, tag), delta in changes]
    statement = dialect_insert(session, IntroTagCount).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["guild_id", "kind", "tag"],
        set_={"members": IntroTagCount.members + statement.excluded.members},
    )
    await session.execute(statement)
    lowered = [key for key, delta in changes if delta < 0]
    if lowered:  # (only rows this upsert holds: no other lock is waited for)
        await session.execute(
            delete(IntroTagCount).where(
                IntroTagCount.guild_id == guild_id,
                tuple_(IntroTagCount.kind, IntroTagCount.tag).in_(lowered),
                IntroTagCount.members <= 0,
            )
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """What one submission of the intro form may do, as the database decided it.

    created: this submission made the intro row. posting: it holds the row's claim and posts the card.
    card: the card already posted; while its message_id is None the answers are stored already, and a
    submission that is not posting leaves the card to the one that is.
    """

    intro_id: int
    created: bool
    posting: bool
    card: CardRef
    discoverable: bool


async def claim_intro(
    session: AsyncSession,
    *,
    guild_id: int,
    user_id: int,
    text: dict[str, str],
    heritage_tags: Iterable[str],
    language_tags: Iterable[str],
    token: str,
    now: datetime,
) -> Claim:
    """The first step of saving an intro; the database decides who posts the card.

    No intro yet: insert it with these answers and the claim `token` (one row per member is a unique
    constraint, so of two submissions at once exactly one inserts). An intro whose card is posted: nothing
    changes here (the caller edits the card, then `save_intro`). An intro without a card: these answers
    replace its own, and this submission takes the claim unless another holds a fresh one (then that one
    posts, and renders the answers it finds in the row once it has posted)."""
    insert = (
        dialect_insert(session, Intro)
        .values(
            guild_id=guild_id,
            user_id=user_id,
            **text,
            discoverable=False,
            find_notice_pending=False,
            card_claim=token,
            card_claimed_at=now,
            unposted_saves=1,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["guild_id", "user_id"])
        .returning(Intro.id)
    )
    for _attempt in range(CLAIM_ATTEMPTS):
        inserted = await session.scalar(insert)
        intro = await lock_intro(session, guild_id, user_id)  # claimers of one intro take turns
        if intro is not None:  # inserted just now, or there already
            break
        # Neither: on PostgreSQL another submission's intro was there when this one tried to insert and gone
        # when it looked (its card was refused and `release_claim` took the intro away). Insert again.
    else:  # pragma: no cover - needs the same intro created and released between every two statements
        raise RuntimeError(f"intro of {user_id} in {guild_id} kept vanishing while being claimed")
    card = CardRef(intro.channel_id, intro.message_id)
    if inserted is not None:
        await _set_tags(session, intro, heritage_tags, language_tags)
        await session.flush()
        return Claim(intro.id, created=True, posting=True, card=card, discoverable=intro.discoverable)
    if intro.message_id is not None:
        return Claim(intro.id, created=False, posting=False, card=card, discoverable=intro.discoverable)
    claimed_at = intro.card_claimed_at
    posting = intro.card_claim is None or claimed_at is None or claimed_at <= now - CLAIM_LEASE
    if posting:
        intro.card_claim, intro.card_claimed_at = token, now
    intro.unposted_saves += 1
    for name, value in text.items():
        setattr(intro, name, value)
    intro.updated_at = now
    await _set_tags(session, intro, heritage_tags, language_tags)
    await session.flush()
    await drop_draft(session, guild_id, user_id)
    return Claim(intro.id, created=False, posting=posting, card=card, discoverable=intro.discoverable)


async def record_card(session: AsyncSession, intro_id: int, token: str, card: CardRef) -> Intro | None:
    """Remember the card a claim posted and release the claim. The intro as it is now (its answers may
    have changed while the card was posted), or None if the claim was lost (the intro was deleted, or
    the claim went stale and another submission took it): then the caller takes its card down."""
    result = await session.execute(
        update(Intro)
        .where(Intro.id == intro_id, Intro.card_claim == token, Intro.message_id.is_(None))
        .values(
            channel_id=card.channel_id,
            message_id=card.message_id,
            card_claim=None,
            card_claimed_at=None,
            unposted_saves=0,
        )
    )
    if rowcount(result) != 1:
        return None
    intro = await session.scalar(select(Intro).where(Intro.id == intro_id).execution_options(populate_existing=True))
    if intro is not None:
        await drop_draft(session, intro.guild_id, intro.user_id)
    return intro


async def release_claim(session: AsyncSession, claim: Claim, token: str) -> bool:
    """After a card could not be posted: an intro this claim created, that no other submission saved answers
    to, goes (nothing is half-saved); otherwise it stays, unclaimed, so the next submission posts its card.
    Whether the intro is gone."""
    intro_id = claim.intro_id
    intro = await session.scalar(
        select(Intro)
        .where(Intro.id == intro_id, Intro.card_claim == token, Intro.message_id.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if intro is None:
        return False
    if claim.created and intro.unposted_saves == 1:  # nobody else was told their answers are saved
        if intro.discoverable:
            await _count_tags(session, intro.guild_id, dict.fromkeys(_tag_keys(intro), -1))
        await session.execute(delete(IntroTag).where(IntroTag.intro_id == intro_id))
        await session.execute(delete(Intro).where(Intro.id == intro_id))
        return True
    intro.card_claim, intro.card_claimed_at = None, None
    return False


async def set_discoverable(session: AsyncSession, guild_id: int, user_id: int, value: bool) -> Intro | None:
    """The member's intro, changed, or None if they have none. Choosing either way answers the one-time notice too."""
    intro = await get_intro(session, guild_id, user_id)
    if intro is None:
        return None
    if value != intro.discoverable:
        await _count_tags(session, guild_id, dict.fromkeys(_tag_keys(intro), 1 if value else -1))
    intro.discoverable = value
    intro.find_notice_pending = False
    return intro


async def set_themes(
    session: AsyncSession, guild_id: int, user_id: int, chosen: Iterable[str], *, offered: Collection[str]
) -> Intro | None:
    """The member's choice among the `offered` themes (keys) replaces their earlier one; themes chosen earlier that
    were not offered (turned off since) stay. The guild's counts follow. The intro, or None if the member has none.
    The intro row is locked first, so two changes of one member's themes run one after the other."""
    intro = await lock_intro(session, guild_id, user_id)
    if intro is None:
        return None
    kept = {key for key in _tag_keys(intro) if key[0] != THEME or key[1] not in offered}
    await _replace_tags(session, intro, kept | {(THEME, key) for key in chosen})
    await session.flush()
    return intro


def intro_tags(intro: Intro, kind: str) -> list[str]:
    """The intro's tags of one kind (HERITAGE, LANGUAGE, or THEME: the keys of the themes its writer chose), sorted."""
    return sorted(tag.tag for tag in intro.tags if tag.kind == kind)


_TAKE_FIND_NOTICE = (
    update(Intro)
    .where(
        Intro.guild_id == bindparam("notice_guild"),
        Intro.user_id == bindparam("notice_user"),
        Intro.find_notice_pending.is_(True),
    )
    .values(find_notice_pending=False)
)


async def take_find_notice(session: AsyncSession, guild_id: int, user_id: int) -> bool:
    """Whether the member is still to be told that their intro became hidden from /intro find (0704);
    claiming it clears it, so the note is shown exactly once."""
    result = await session.execute(_TAKE_FIND_NOTICE, {"notice_guild": guild_id, "notice_user": user_id})
    return rowcount(result) == 1


async def delete_intro(session: AsyncSession, guild_id: int, user_id: int) -> CardRef | None:
    """Remove a member's intro and tags; returns where its card was, or None if there was none."""
    intro = await get_intro(session, guild_id, user_id)
    await delete_member(session, guild_id, user_id)  # kept answers of a refused form go too
    if intro is None:
        return None
    return CardRef(intro.channel_id, intro.message_id)


def _visible() -> ColumnElement[bool]:
    """Discoverable intros of the guild, other than the searcher's (parameters `guild_id`, `exclude`)."""
    return and_(
        Intro.guild_id == bindparam("guild_id"), Intro.discoverable.is_(True), Intro.user_id != bindparam("exclude")
    )


# Built once (`/intro find` is hot); an empty list of heritages or languages matches nothing.
_SHARING_TAGS = (
    select(Intro.user_id, Intro.updated_at, IntroTag.kind, IntroTag.tag)
    .join(Intro, Intro.id == IntroTag.intro_id)
    .where(
        IntroTag.guild_id == bindparam("guild_id"),
        or_(
            and_(IntroTag.kind == HERITAGE, IntroTag.tag.in_(bindparam("heritages", expanding=True))),
            and_(IntroTag.kind == LANGUAGE, IntroTag.tag.in_(bindparam("languages", expanding=True))),
            and_(IntroTag.kind == THEME, IntroTag.tag.in_(bindparam("themes", expanding=True))),
        ),
        _visible(),
    )
)
# The keyword looks only at what members agreed to be found by (their heritage, language and theme tags),
# never at free text: a story or a town name must not lead anyone to its writer.
_KEYWORD = (
    select(Intro.user_id, Intro.updated_at)
    .join(IntroTag, Intro.id == IntroTag.intro_id)
    .where(
        _visible(),
        IntroTag.guild_id == bindparam("guild_id"),
        or_(
            and_(bindparam("partial", type_=Boolean()), IntroTag.tag.contains(bindparam("needle"), escape="/")),
            IntroTag.tag.in_(bindparam("exact", expanding=True)),
        ),
    )
    .distinct()
)


async def find_candidates(
    reader: Reader,
    guild_id: int,
    *,
    exclude_user_id: int,
    heritages: Iterable[str] = (),
    languages: Iterable[str] = (),
    themes: Iterable[str] = (),
    keyword: str | None = None,
    keyword_tags: Iterable[str] = (),
) -> list[Candidate]:
    """Discoverable members (other than the searcher) sharing any tag, or with a tag holding the keyword.

    `keyword` is compared with tags only; `keyword_tags` are its normalised spellings ("Pinay" → "filipino") and
    the key of the theme it names."""
    heritages, languages, themes = sorted(set(heritages)), sorted(set(languages)), sorted(set(themes))
    found: dict[int, Candidate] = {}
    params = {"guild_id": guild_id, "exclude": exclude_user_id}
    if heritages or languages or themes:
        rows = await reader.execute(
            _SHARING_TAGS, {**params, "heritages": heritages, "languages": languages, "themes": themes}
        )
        for user_id, updated_at, kind, tag in rows:
            candidate = found.setdefault(user_id, Candidate(user_id, updated_at))
            {HERITAGE: candidate.heritages, LANGUAGE: candidate.languages, THEME: candidate.themes}[kind].add(tag)

    if keyword:
        needle = keyword.casefold().replace("/", "//").replace("%", "/%").replace("_", "/_")  # literal, not a pattern
        exact = sorted(set(keyword_tags))
        partial = len(keyword) >= MIN_PARTIAL  # a single letter would be in nearly every tag
        matches = await reader.execute(_KEYWORD, {**params, "needle": needle, "exact": exact, "partial": partial})
        for user_id, updated_at in matches:
            found.setdefault(user_id, Candidate(user_id, updated_at)).keyword = True
    return list(found.values())


@dataclass(frozen=True, slots=True)
class Listed:
    """What `/intro find` shows of a match: the name and tag texts of its intro."""

    name: str
    heritages: str
    languages: str


# Built once (`/intro find` is hot): the matches' names and tag texts, and the searcher's own note flag,
# in one statement of plain columns (no intro objects, no tags loaded).
_LISTED = select(Intro.user_id, Intro.name, Intro.heritages, Intro.languages, Intro.find_notice_pending).where(
    Intro.guild_id == bindparam("guild_id"), Intro.user_id.in_(bindparam("user_ids", expanding=True))
)


async def listed_intros(
    reader: Reader, guild_id: int, user_ids: Iterable[int], searcher_id: int
) -> tuple[dict[int, Listed], bool]:
    """The intros of `user_ids` as `/intro find` lists them, and whether the searcher is still to be told
    that their intro became hidden (0704). The flag is only read here: `take_find_notice` claims it."""
    ids = sorted({*user_ids, searcher_id})
    listed: dict[int, Listed] = {}
    pending = False
    for user_id, name, heritages, languages, notice_pending in await reader.execute(
        _LISTED, {"guild_id": guild_id, "user_ids": ids}
    ):
        if user_id == searcher_id:
            pending = bool(notice_pending)
        else:
            listed[user_id] = Listed(name, heritages, languages)
    return listed, pending


async def tag_counts(
    session: AsyncSession, guild_id: int, kind: str, typed: str = "", *, limit: int = 25
) -> list[tuple[str, int]]:
    """Tags of one kind used by discoverable members in the guild, most used first, matching `typed`: from the kept
    counts (`_count_tags`), a few rows a guild, not a count over every tag row (0818)."""
    query = (
        select(IntroTagCount.tag, IntroTagCount.members)
        .where(IntroTagCount.guild_id == guild_id, IntroTagCount.kind == kind, IntroTagCount.members > 0)
        .order_by(IntroTagCount.members.desc(), IntroTagCount.tag)
        .limit(limit)
    )
    if typed:
        query = query.where(IntroTagCount.tag.contains(typed, autoescape=True))
    return [(tag, count) for tag, count in await session.execute(query)]


def summarise(intro: Intro) -> str:
    """Name, heritages, languages, where, and the start of their story: plain text, ≤ 400 characters."""
    parts = [intro.name]
    if intro.heritages:
        parts.append(f"Heritages: {intro.heritages}")
    if intro.languages:
        parts.append(f"Languages: {intro.languages}")
    if intro.location:
        parts.append(f"Lives in: {intro.location}")
    head = " · ".join(" ".join(part.split()) for part in parts)
    story = " ".join(intro.story.split())
    text = f"{head}. {story}" if story else head
    return truncate(text, SUMMARY_MAX)


async def intro_summary(session: AsyncSession, guild_id: int, user_id: int) -> str | None:
    """A short plain-text summary of a member's intro (name, heritages, languages, where, a line of
    their story), at most 400 characters; None if they have no intro."""
    intro = await get_intro(session, guild_id, user_id)
    return summarise(intro) if intro is not None else None


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    """Everything stored about a member's intro and the kept answers of a refused form, JSON-able (empty if none)."""
    exported: dict[str, Any] = {}
    draft = await session.scalar(
        select(IntroFormDraft).where(IntroFormDraft.guild_id == guild_id, IntroFormDraft.user_id == user_id)
    )
    if draft is not None:
        exported["answers_kept_from_a_refused_form"] = {
            **{name: getattr(draft, name) for name in DRAFT_FIELDS},
            "kept_at": draft.kept_at.isoformat(),
        }
    intro = await get_intro(session, guild_id, user_id)
    if intro is None:
        return exported
    return exported | {
        "name_and_pronouns": intro.name,
        "heritages": intro.heritages,
        "languages": intro.languages,
        "where": intro.location,
        "story": intro.story,
        "discoverable": intro.discoverable,
        "heritage_tags": intro_tags(intro, HERITAGE),
        "language_tags": intro_tags(intro, LANGUAGE),
        "themes": intro_tags(intro, THEME),
        "card_channel_id": intro.channel_id,
        "card_message_id": intro.message_id,
        "created_at": intro.created_at.isoformat(),
        "updated_at": intro.updated_at.isoformat(),
    }


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """Remove every intro row about a member (and the answers kept from a refused form); how many rows went. The
    guild's tag counts lose the member's tags if the intro was discoverable."""
    intro = await get_intro(session, guild_id, user_id)
    if intro is not None and intro.discoverable:
        await _count_tags(session, guild_id, dict.fromkeys(_tag_keys(intro), -1))
    tags = await session.execute(delete(IntroTag).where(IntroTag.guild_id == guild_id, IntroTag.user_id == user_id))
    intros = await session.execute(delete(Intro).where(Intro.guild_id == guild_id, Intro.user_id == user_id))
    return rowcount(tags) + rowcount(intros) + await drop_draft(session, guild_id, user_id)
