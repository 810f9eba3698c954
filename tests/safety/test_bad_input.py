"""Whatever a member or moderator types, Lantern either does it or says no kindly, and a "no" changes nothing.

Hypothesis drives every chat-input command of `bot.tree` (found at run time, so a new command is covered
without editing this file) and every modal (the intro form, the prompt forms, reject-with-reason) with
hostile text: empty, whitespace, at and beyond the length limits, CJK, right-to-left, emoji, combining
marks, control and zero-width characters, markdown, URLs, mention syntax, format braces. Options that
aren't text get fixed valid values (a member, a channel, a role, the lowest allowed number, a file whose
bytes are generated text).

For each example:

* SimCord refusing the value client-side (`SetupError`/`OptionError`: a length bound, a required field)
  counts as refused before the bot, as on Discord;
* otherwise the bot must answer; every error that reached the funnel must be a `LanternError` (an
  expected refusal), never a crash; the answer to a refusal is ephemeral and shows no internals
  (tracebacks, exception names, SQL, file paths) and never the generic apology;
* a refused input leaves every table exactly as it was (row counts and a checksum of every row).

Each example acts as a member (or moderator) who joined just for it, so per-member limits and
cooldowns of one example don't decide the next (3 anonymous answers a day, for one). The exception is the
goals form, which only the pair may send: Alice, the mentor of the world's one pairing, sends it each time (it has
no limit; a later submission replaces the goals). `LANTERN_BAD_INPUT_EXAMPLES` sets the examples per
command (10 by default).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from discord import app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from simcord import InteractionResult, MemberActor, SetupError

from cogs.care.views import ReportForm, SupportForm
from cogs.intros.views import IntroModal
from cogs.mentorship.goals import GoalsForm
from cogs.prompts.anonymous import AnswerForm
from cogs.prompts.views import PromptModal, RejectReasonModal
from core.errors import LanternError
from core.tree import APOLOGY, unwrap
from core.ui import PersistentForm
from tests.conftest import World
from tests.features.test_mentorship_support import matched
from tests.features.test_prompts_anonymous import posted_prompt
from tests.features.test_prompts_schedule import prompt_messages
from tests.safety.support import Snapshot, db_snapshot

EXAMPLES = int(os.environ.get("LANTERN_BAD_INPUT_EXAMPLES", "10"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What the bot may never show a member. Inputs are removed from a reply before it is searched.
INTERNALS = re.compile(
    r"Traceback|\b[A-Z][A-Za-z]*(?:Error|Exception)\b|sqlalchemy|sqlite|asyncpg|psycopg|\bSELECT\b|\bINSERT INTO\b"
    r"|File \"|\.py\b|site-packages|/work/|NoneType|object has no attribute|<coroutine|<function"
)

HOSTILE = [
    "",
    " ",
    "   \t\n  ",
    "\n\n\n",
    "日本語と한국어と中文のテキスト",
    "مرحبا بالعالم",
    "שלום עולם",
    "🏮🎉👨‍👩‍👧‍👦🇵🇭🏳️‍🌈",
    "e\u0301\u0301\u0301 Z̷̢͔a̸̛l̴g̵o̶",
    "\x00\x01\x07\x1b[31mred\x7f",
    "\u200b\u200c\u200d\ufeff\u2060",
    "\u202eevil\u202c",
    "**bold** __u__ *i* ~~s~~ `code` ```py\nx\n``` > quote ||spoiler|| # Heading",
    "[link](https://example.org) <https://example.org>",
    "https://example.org/path?q=1#frag",
    "http://127.0.0.1:8080/",
    "javascript:alert(1)",
    "@everyone @here <@&123456789012345678> <@123456789012345678> <#123456789012345678>",
    "'; DROP TABLE intros; --",
    "{member} {server} {0} {__class__} {{ }} %s %(x)s",
    "\\ \\n \"quotes\" 'single'",
    "a,b,,c, ,",
    ",,,",
    "NaN",
    "-1",
    "0",
    "9" * 30,
]
# Plausible values, so that some examples get past the first check to the ones behind it.
PLAUSIBLE = {
    "themes": ["career", "career, identity", "Career guidance"],
    "not_covered": ["culture"],
    "theme": ["career", "Cultural knowledge sharing"],
    "timezone": ["Asia/Manila", "Europe/London", "utc"],
    "url": ["https://example.org/hapa", "https://example.org/hapa?utm_source=x"],
    "title": ["Being hapa"],
    "query": ["hapa", "identity"],
    "cadence": ["daily", "weekly friday", "every 3 days", "monthly first monday"],
    "time": ["09:00", "23:59", "7:30"],
    "occasions": ["seollal", "Seollal (Korean New Year), tet", "all"],
    "pairing_checkins": ["14,45", "off", "1,2,3"],
    "welcome_message": ["Welcome, {member}!", "Welcome to {server}, {member}"],
    "text": ["What does home smell like to you?"],
    "keyword": ["Osaka"],
    "name": ["Mika (she/they)"],
    "heritages": ["Japanese, Irish"],
    "languages": ["English, Tagalog"],
    "location": ["Manchester"],
    "story": ["I grew up between Cebu and Cork."],
    "reason": ["We have a similar one already."],
    "answer": ["My grandmother's kitchen smelled of star anise and toast."],
    "goal1": ["Practise for a job interview"],
    "goal2": ["Read one book together", ""],
    "goal3": ["Meet once a month", ""],
}
TEXT_ALPHABET = st.characters(blacklist_categories=("Cs",))
FILENAMES = ["list.txt", "bank.csv", "library.json", "library.csv", "notes.pdf", "NO_EXTENSION", "../../etc/passwd.txt"]

_serial = itertools.count(1)


def text_values(name: str, min_length: int | None, max_length: int | None) -> st.SearchStrategy[str]:
    """Hostile and plausible text for an option or a field of at most `max_length` characters."""
    limit = max_length or 4000
    fragments = st.sampled_from(HOSTILE + PLAUSIBLE.get(name, []))
    return st.one_of(
        fragments,
        st.lists(fragments, min_size=1, max_size=4).map(" ".join),
        st.text(TEXT_ALPHABET, max_size=min(limit, 300)),
        st.sampled_from(["x" * limit, "x" * (limit + 1), "語" * limit, "🏮" * limit, " " * limit]),
        st.sampled_from(PLAUSIBLE.get(name, ["plain words"])),
        st.integers(0, max(min_length or 0, 0)).map(lambda n: "y" * n),
    )


# Running one example and judging it --------------------------------------------------------------


@dataclass
class Verdict:
    """What one invocation did."""

    refused_by_client: bool = False
    errors: list[BaseException] = field(default_factory=list)
    replies: list[tuple[bool, str]] = field(default_factory=list)  # (ephemeral, visible text)


def visible_text(message: Any) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name} {f.value}" for f in embed.fields]
        parts.append(embed.footer.text or "")
    return "\n".join(parts)


def replies_of(result: InteractionResult | None) -> list[tuple[bool, str]]:
    if result is None:
        return []
    found = []
    messages = ([result.response] if result.response is not None else []) + list(result.followups)
    for message in messages:
        found.append((bool(message.flags.ephemeral), visible_text(message)))
    return found


def scrub(text: str, inputs: list[str]) -> str:
    """The reply without the member's own words (which it may echo), to look for internals."""
    for value in sorted(inputs, key=len, reverse=True):
        for form in {value, value.strip(), " ".join(value.split()), discord.utils.escape_markdown(value)}:
            if len(form) >= 3:
                text = text.replace(form, "")
    return text


async def invoke(world: World, action: Any) -> tuple[InteractionResult | None, Verdict]:
    """Run `action()` (an actor call); collect what reached the funnel and what was answered."""
    verdict = Verdict()
    before = len(world.env.errors)
    try:
        result = await action()
    except SetupError:  # OptionError too: refused client-side, before the bot
        verdict.refused_by_client = True
        result = None
    verdict.errors = [unwrap(error) for error in world.env.errors[before:]]  # reading acknowledges them
    verdict.replies = replies_of(result)
    return result, verdict


def judge(verdict: Verdict, before: Snapshot, after: Snapshot, inputs: list[str], what: str) -> None:
    """The contract of the module docstring for one example."""
    where = f"{what} with {inputs!r}"
    if verdict.refused_by_client:
        assert not verdict.errors, f"{where}: refused client-side, yet the bot raised {verdict.errors!r}"
        assert before == after, f"{where}: refused client-side, yet the database changed: {before.diff(after)}"
        return
    crashes = [error for error in verdict.errors if not isinstance(error, LanternError)]
    assert not crashes, f"{where}: unexpected errors {crashes!r}"
    for _ephemeral, text in verdict.replies:
        assert APOLOGY not in text, f"{where}: the generic apology was shown"
        leaked = INTERNALS.search(scrub(text, inputs))
        assert leaked is None, f"{where}: internals {leaked[0]!r} shown in {text!r}"
    if verdict.errors:
        assert verdict.replies, f"{where}: refused ({verdict.errors!r}) without telling the member"
        assert all(ephemeral for ephemeral, _ in verdict.replies), f"{where}: a refusal was answered publicly"
        messages = {error.user_message() for error in verdict.errors if isinstance(error, LanternError)}
        assert any(m in text for m in messages for _, text in verdict.replies), f"{where}: {messages} not shown"
        assert before == after, f"{where}: refused, yet the database changed: {before.diff(after)}"


# Commands ---------------------------------------------------------------------------------------


def is_moderator_command(command: app_commands.Command[Any, ..., Any]) -> bool:
    root = command.root_parent or command
    permissions = root.default_permissions or command.default_permissions
    return bool(permissions and permissions.manage_guild)


def chat_commands(world: World) -> dict[str, app_commands.Command[Any, ..., Any]]:
    return {c.qualified_name: c for c in world.bot.tree.walk_commands() if isinstance(c, app_commands.Command)}


TEXT_TYPES = {discord.AppCommandOptionType.string, discord.AppCommandOptionType.attachment}
# Every chat-input command, checked against the tree by test_every_command_is_listed.
TEXT_COMMANDS = [
    "setup options",
    "setup themes",
    "intro find",
    "mentor offer",
    "mentor request",
    "mentor end",
    "circle join",
    "prompts schedule",
    "prompts add",
    "prompts import",
    "prompts list",
    "prompts calendar",
    "prompts review",
    "prompt suggest",
    "prompt random",
    "resource share",
    "resource search",
    "resource browse",
    "resources remove",
    "resources import",
]
OTHER_COMMANDS = [
    "setup channels",
    "setup show",
    "setup support",
    "about",
    "support",
    "intro write",
    "intro show",
    "intro delete",
    "mentor status",
    "mentor pause",
    "mentor resume",
    "mentor block",
    "mentor leave",
    "circle status",
    "circle leave",
    "circles form",
    "circles stats",
    "circles auto every_days",
    "circles auto off",
    "pairing auto every_days",
    "pairing auto off",
    "pairing run",
    "pairing list",
    "pairing create",
    "pairing end",
    "pairing stats",
    "prompts schedules",
    "prompts unschedule",
    "prompts resume",
    "prompts post",
    "prompts remove",
    "prompts stats",
    "resource saved",
    "resource remove",
    "resources review",
    "resources export",
    "privacy show",
    "privacy export",
    "privacy answers",
    "privacy delete",
]


def fresh_actor(world: World, moderator: bool) -> MemberActor:
    name = f"{'mod' if moderator else 'member'}{next(_serial)}"
    return world.add_member(name, roles=[world.mod_role]) if moderator else world.add_member(name)


def fixed_value(world: World, parameter: app_commands.Parameter) -> Any:
    """A valid value for an option that isn't free text."""
    kind = parameter.type
    if parameter.choices:
        return parameter.choices[0].value
    if kind in {discord.AppCommandOptionType.user, discord.AppCommandOptionType.mentionable}:
        return world.bob if parameter.name != "mentor" else world.alice
    if kind == discord.AppCommandOptionType.channel:
        return world.prompts
    if kind == discord.AppCommandOptionType.role:
        return world.guild.create_role(f"plain{next(_serial)}")
    if kind == discord.AppCommandOptionType.boolean:
        return parameter.name == "dry_run"
    if kind in {discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number}:
        return parameter.min_value if parameter.min_value is not None else 1
    raise AssertionError(f"no fixed value for {parameter.name} ({kind})")


def upload() -> st.SearchStrategy[tuple[str, bytes]]:
    """A file: plain lines, a CSV with the import header, or a JSON list, each holding hostile text."""
    cell = text_values("cell", None, 300)
    url = st.one_of(st.sampled_from(PLAUSIBLE["url"]), cell)
    lines = st.lists(cell, max_size=5).map("\n".join)
    rows = st.lists(st.tuples(url, cell, cell, st.sampled_from(["career", "", "nope"]), cell), max_size=4)

    def as_csv(found: list[tuple[str, ...]]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["url", "title", "description", "themes", "tags"])
        writer.writerows(found)
        return buffer.getvalue()

    def as_json(found: list[tuple[str, ...]]) -> str:
        keys = ("url", "title", "description", "themes", "tags")
        return json.dumps([dict(zip(keys, row, strict=True)) for row in found], ensure_ascii=False)

    return st.one_of(
        st.tuples(st.sampled_from(FILENAMES), lines),
        st.tuples(st.just("library.csv"), rows.map(as_csv)),
        st.tuples(st.just("library.json"), rows.map(as_json)),
        st.tuples(
            st.just("bank.csv"),
            st.lists(st.tuples(cell, cell), max_size=4).map(lambda found: "\n".join(",".join(pair) for pair in found)),
        ),
    ).map(lambda named: (named[0], named[1].encode("utf-8")))


def plausible(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(PLAUSIBLE.get(name, ["plain words"]))


def draw_options(world: World, command: app_commands.Command[Any, ..., Any], data: st.DataObject) -> dict[str, Any]:
    """Hostile text in one text option (or, sometimes, all of them); plausible values in the others."""
    texts = [p.name for p in command.parameters if p.type == discord.AppCommandOptionType.string and not p.choices]
    target = data.draw(st.sampled_from([*texts, "*"]) if texts else st.just("*"), label="hostile option")
    options: dict[str, Any] = {}
    for parameter in command.parameters:
        if parameter.type == discord.AppCommandOptionType.attachment:
            options[parameter.name] = data.draw(upload(), label=parameter.name)
        elif parameter.name in texts:
            if target in {"*", parameter.name}:
                strategy = text_values(parameter.name, parameter.min_value, parameter.max_value)
            elif parameter.required or parameter.name in PLAUSIBLE:
                strategy = plausible(parameter.name)
            else:
                continue
            if not parameter.required:
                strategy = st.one_of(st.none(), strategy)
            value = data.draw(strategy, label=parameter.name)
            if value is not None:
                options[parameter.name] = value
        elif parameter.required or data.draw(st.booleans(), label=f"give {parameter.name}"):
            options[parameter.name] = fixed_value(world, parameter)
    return options


def text_inputs(options: dict[str, Any]) -> list[str]:
    found = []
    for value in options.values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple):
            found += [value[0], *value[1].decode("utf-8").splitlines()]
    return found


async def test_every_command_is_listed(world: World) -> None:
    """The lists below cover every chat-input command of the tree, with text options where they have them."""
    commands = chat_commands(world)
    assert sorted(TEXT_COMMANDS + OTHER_COMMANDS) == sorted(commands)
    with_text = {name for name, c in commands.items() if any(p.type in TEXT_TYPES for p in c.parameters)}
    assert with_text == set(TEXT_COMMANDS)


@pytest.mark.parametrize("name", TEXT_COMMANDS)
@SETTINGS
@given(data=st.data())
async def test_command_refuses_bad_text_kindly(world: World, name: str, data: st.DataObject) -> None:
    """Any text in any option: done, or refused ephemerally with no internals and no database change."""
    command = chat_commands(world)[name]
    actor = fresh_actor(world, is_moderator_command(command))
    options = draw_options(world, command, data)
    await world.env.settle()
    before = await db_snapshot(world.bot)
    _, verdict = await invoke(world, lambda: actor.slash(world.general, name, **options))
    judge(verdict, before, await db_snapshot(world.bot), text_inputs(options), f"/{name}")


@pytest.mark.parametrize("name", OTHER_COMMANDS)
async def test_command_without_text_answers(world: World, name: str) -> None:
    """Commands with no text options, run with valid values by a newcomer: an answer, never a crash."""
    command = chat_commands(world)[name]
    actor = fresh_actor(world, is_moderator_command(command))
    options = {p.name: fixed_value(world, p) for p in command.parameters if p.required}
    await world.env.settle()
    before = await db_snapshot(world.bot)
    result, verdict = await invoke(world, lambda: actor.slash(world.general, name, **options))
    assert result is not None and result.acknowledged, f"/{name} got no answer"
    judge(verdict, before, await db_snapshot(world.bot), [], f"/{name}")


# Modals -----------------------------------------------------------------------------------------


def modal_fields(shown: InteractionResult) -> list[dict[str, Any]]:
    assert shown.modal is not None, "no modal was opened"
    return [c for row in shown.modal["components"] for c in row.get("components", [row.get("component", row)])]


def draw_fields(shown: InteractionResult, data: st.DataObject) -> dict[str, str]:
    """Hostile text in one field (or, sometimes, all of them); plausible values in the others."""
    fields = modal_fields(shown)
    target = data.draw(st.sampled_from([*(item["custom_id"] for item in fields), "*"]), label="hostile field")
    values = {}
    for item in fields:
        key = item["custom_id"]
        if target in {"*", key}:
            strategy = text_values(key, item.get("min_length"), item.get("max_length"))
        else:
            strategy = st.sampled_from(PLAUSIBLE.get(key, [item.get("value") or "plain words"]))
        values[key] = data.draw(strategy, label=key)
    return values


async def open_suggestion_review(world: World) -> tuple[MemberActor, InteractionResult]:
    """A fresh member suggests a prompt; a fresh moderator opens reject-with-reason on it."""
    member = fresh_actor(world, False)
    shown = await member.slash(world.general, "prompt suggest")
    await member.submit_modal(shown, {"text": f"What song reminds you of home, {member.name}?", "theme": "culture"})
    moderator = fresh_actor(world, True)
    review = await moderator.slash(world.general, "prompts review")
    button = next(
        c["custom_id"]
        for row in review.response.components
        for c in row["components"]
        if c["custom_id"].startswith("prompts:rejectwhy:")
    )
    return moderator, await moderator.click(review.response, custom_id=button)


# Every form the bot's FormRouter answers, by how it is opened; checked against the router by
# test_every_form_is_listed. The prompt form serves both /prompts add and /prompt suggest.
FORMS: dict[str, type[PersistentForm]] = {
    "intro write": IntroModal,
    "prompt suggest": PromptModal,
    "prompts add": PromptModal,
    "reject with reason": RejectReasonModal,
    "setup support": SupportForm,
    "report": ReportForm,
    "answer anonymously": AnswerForm,
    "pair goals": GoalsForm,
}


def registered_forms(world: World) -> set[type[PersistentForm]]:
    """The form classes the running bot's FormRouter answers (it has no public listing, hence `_forms`)."""
    return set(world.bot.forms._forms.values())


def button_id(message: Any, prefix: str) -> str:
    return next(c.custom_id for row in message.components for c in row.children if c.custom_id.startswith(prefix))


async def open_answer_form(world: World) -> tuple[MemberActor, InteractionResult]:
    """A fresh member (3 anonymous answers a day each) presses *Answer anonymously* under the world's one
    posted prompt, which the first example posts and the others reuse."""
    posted = prompt_messages(world)
    message = posted[-1] if posted else (await posted_prompt(world))[0]
    member = fresh_actor(world, False)
    return member, await member.click(message, custom_id=button_id(message, "prompts:anon:"))


async def open_goals_form(world: World) -> tuple[MemberActor, InteractionResult]:
    """Alice presses *Our goals* in the world's one pair thread (Alice and Bob, matched by the first example)."""
    if not world.mentorship.threads:
        await matched(world)
    (thread,) = world.mentorship.threads
    welcome = thread.history(viewer=world.alice)[0]
    return world.alice, await world.alice.click(welcome, custom_id=button_id(welcome, "mentor:goals:"))


async def open_modal(world: World, which: str) -> tuple[MemberActor, InteractionResult]:
    if which == "reject with reason":
        # Decide every earlier suggestion first, so the queue shows this example's one.
        return await open_suggestion_review(world)
    if which == "report":  # a fresh member reports a fresh message: Report to moderators → a reason → the form
        member = fresh_actor(world, False)
        message = await world.bob.send(world.general, f"a message for {member.name}")
        asked = await member.context_menu(world.general, "Report to moderators", message)
        return member, await member.select(asked.response, ["other"])
    if which == "answer anonymously":
        return await open_answer_form(world)
    if which == "pair goals":
        return await open_goals_form(world)
    command, moderator = {
        "intro write": ("intro write", False),
        "prompt suggest": ("prompt suggest", False),
        "prompts add": ("prompts add", True),
        "setup support": ("setup support", True),
    }[which]
    actor = fresh_actor(world, moderator)
    return actor, await actor.slash(world.general, command)


async def test_every_form_is_listed(world: World) -> None:
    """FORMS covers exactly the forms the running bot's FormRouter answers, so a new form is tried with
    hostile text by test_modal_refuses_bad_text_kindly before it ships."""
    assert registered_forms(world) == set(FORMS.values())


@pytest.mark.parametrize("which", list(FORMS))
@SETTINGS
@given(data=st.data())
async def test_modal_refuses_bad_text_kindly(world: World, which: str, data: st.DataObject) -> None:
    """Any text in any field of a form: done, or refused ephemerally with no internals and no database change."""
    if which == "reject with reason":
        await clear_suggestions(world)
    actor, shown = await open_modal(world, which)
    assert shown.modal is not None, f"{which}: no form was opened"
    found = world.bot.forms.find(shown.modal["custom_id"])
    assert found is not None and found[0] is FORMS[which], f"{which}: opened {shown.modal['custom_id']!r}"
    values = draw_fields(shown, data)
    await world.env.settle()
    before = await db_snapshot(world.bot)
    _, verdict = await invoke(world, lambda: actor.submit_modal(shown, values))
    # A refused intro keeps the member's own answers for a day, as its refusal promises (tests/features/
    # test_intros_races.py proves the form reopens with them); nothing else may change.
    kept = ("intro_drafts",) if which == "intro write" else ()
    after = (await db_snapshot(world.bot)).without(*kept)
    judge(verdict, before.without(*kept), after, list(values.values()), f"the {which} form")


async def clear_suggestions(world: World) -> None:
    """Mark every pending suggestion decided, so the review queue starts with the next one."""
    from sqlalchemy import update

    from storage.models.prompts import PromptSuggestion

    async with world.bot.db.write() as session:
        await session.execute(
            update(PromptSuggestion).where(PromptSuggestion.status == "pending").values(status="rejected")
        )


# Regressions found by the tests above --------------------------------------------------------------


@pytest.mark.parametrize("name", ["resource search", "resource browse"])
async def test_blank_theme_filter_means_no_theme(world: World, name: str) -> None:
    """A theme of only spaces filters nothing (it used to crash with IndexError)."""
    options = {"query": "hapa"} if name == "resource search" else {}
    result, verdict = await invoke(world, lambda: world.bob.slash(world.general, name, theme=" ", **options))
    assert result is not None and result.acknowledged
    assert verdict.errors == []


async def test_theme_filter_of_only_commas_is_refused(world: World) -> None:
    """A theme of only commas names no theme: refused kindly, not a crash."""
    before = await db_snapshot(world.bot)
    _, verdict = await invoke(world, lambda: world.bob.slash(world.general, "resource browse", theme=",,,"))
    judge(verdict, before, await db_snapshot(world.bot), [",,,"], "/resource browse")
    assert [type(error).__name__ for error in verdict.errors] == ["InvalidInput"]
