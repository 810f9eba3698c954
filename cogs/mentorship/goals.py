"""In the pair thread: "Have you two found a time?" answers, and the pair's one to three goals.

The answers are private to whoever gives them (each reply is ephemeral; the other member never sees
"This isn't working"), and only counted in `/pairing stats`. Goals are the pair's, written in a form that
either of them opens from the thread; they show in both members' `/mentor status` and check-ins, and
moderators only ever see how many there are.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import discord

from cogs.mentorship.views import CheckinEnd, cog_of
from core.errors import InvalidInput, NotAllowed
from core.text import NO_MENTIONS, unlink
from core.ui import LanternView, PersistentButton, PersistentForm, show_form
from storage import mentorship as store
from storage.mentorship import followups as notes
from storage.models.mentorship import ACTIVE, MET, NOT_WORKING, NOT_YET, MentorshipPairing

if TYPE_CHECKING:
    from cogs.mentorship.cog import Mentorship

GOAL_MIN = 3
ANSWER_LABELS = {MET: "We've met", NOT_YET: "Not yet", NOT_WORKING: "This isn't working"}
ANSWER_IDS = {MET: "met", NOT_YET: "notyet", NOT_WORKING: "notworking"}
REPLIES = {
    MET: "Wonderful, thank you for telling me! If you'd like, set one to three goals together with the "
    "**Our goals** button: I'll bring them up at your check-ins.",
    NOT_YET: "No rush at all: finding a time can take a while. Suggesting two or three times that suit you often "
    "helps. You can press *We've met* whenever you have.",
    NOT_WORKING: "I'm sorry it isn't working. Only you see this. Ending is always fine and nobody is at fault: "
    "the other person is told kindly, with no reason given. The button below ends it; nothing happens otherwise.",
}


async def pair_of(cog: Mentorship, pairing_id: int, user_id: int) -> MentorshipPairing:
    """The active pairing this member is part of, or a clear refusal."""
    async with cog.bot.db.read() as session:
        pairing = await store.get_pairing(session, pairing_id)
    if pairing is None or user_id not in (pairing.mentor_id, pairing.mentee_id):
        raise NotAllowed("This pairing isn't one of yours, so I can't change anything about it.")
    if pairing.status != ACTIVE:
        raise NotAllowed("This pairing has ended, so there's nothing to change. Thank you both.")
    return pairing


class MeetButton(PersistentButton, template=r"mentor:met:(?P<pairing_id>\d+):(?P<answer>met|notyet|notworking)"):
    def __init__(self, pairing_id: int, answer: str) -> None:
        self.answer = {value: key for key, value in ANSWER_IDS.items()}.get(answer, answer)
        style = {
            MET: discord.ButtonStyle.success,
            NOT_YET: discord.ButtonStyle.secondary,
            NOT_WORKING: discord.ButtonStyle.secondary,
        }
        super().__init__(
            discord.ui.Button(
                label=ANSWER_LABELS[self.answer],
                style=style[self.answer],
                custom_id=f"mentor:met:{pairing_id}:{ANSWER_IDS[self.answer]}",
            )
        )
        self.pairing_id = pairing_id

    async def handle(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction.client)
        pairing = await pair_of(cog, self.pairing_id, interaction.user.id)
        async with cog.bot.db.write() as session:
            await notes.answer_meeting(session, pairing.id, interaction.user.id, self.answer, cog.bot.clock())
        if self.answer == NOT_WORKING:
            view = LanternView(timeout=None)
            view.add_item(CheckinEnd(pairing.id))
            await interaction.response.send_message(REPLIES[self.answer], view=view, ephemeral=True)
            return
        await interaction.response.send_message(REPLIES[self.answer], ephemeral=True)


class GoalsButton(PersistentButton, template=r"mentor:goals:(?P<pairing_id>\d+)"):
    def __init__(self, pairing_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Our goals", style=discord.ButtonStyle.primary, custom_id=f"mentor:goals:{pairing_id}"
            )
        )
        self.pairing_id = pairing_id

    async def handle(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction.client)
        pairing = await pair_of(cog, self.pairing_id, interaction.user.id)
        async with cog.bot.db.read() as session:
            current = (await notes.goals_of(session, [pairing.id])).get(pairing.id, [])
        await show_form(interaction, GoalsForm(pairing.id, current))


class GoalsForm(PersistentForm, template=r"mentor:goals-form:(?P<pairing_id>\d{1,20})"):
    """One to three goals for the pair; sent again, it replaces them (an empty second or third removes it)."""

    def __init__(self, pairing_id: int, current: list[str] | None = None) -> None:
        super().__init__(title="Our goals", custom_id=f"mentor:goals-form:{pairing_id}")
        self.pairing_id = pairing_id
        current = current or []
        self.goal_inputs: list[discord.ui.TextInput[Any]] = []
        for position in range(1, notes.MAX_GOALS + 1):
            self.goal_inputs.append(
                self.add_field(
                    f"Goal {position}" + ("" if position == 1 else " (optional)"),
                    discord.ui.TextInput(
                        custom_id=f"goal{position}",
                        required=position == 1,
                        min_length=GOAL_MIN if position == 1 else None,
                        max_length=notes.GOAL_LENGTH,
                        default=current[position - 1] if position <= len(current) else None,
                        placeholder="e.g. Practise for a job interview" if position == 1 else None,
                    ),
                    description="Only the two of you see the words; moderators see only how many goals there are."
                    if position == 1
                    else None,
                )
            )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction.client)
        pairing = await pair_of(cog, self.pairing_id, interaction.user.id)
        texts = [" ".join(str(field.value or "").split()) for field in self.goal_inputs]
        goals = [text for text in texts if text]
        if not goals:
            raise InvalidInput("Goal 1", "is empty", "Write at least one goal in a few words.")
        short = next((text for text in goals if len(text) < GOAL_MIN), None)
        if short is not None:
            raise InvalidInput(
                f"The goal “{unlink(short)}”", f"is shorter than {GOAL_MIN} characters", "Say a little more."
            )
        async with cog.bot.db.write() as session:
            await notes.set_goals(session, pairing.id, goals, cog.bot.clock())
        listed = "\n".join(f"{index}. {unlink(text)}" for index, text in enumerate(goals, 1))
        await interaction.response.send_message(
            f"Saved your pair's goals:\n{listed}\nYou both see them in `/mentor status`, and I'll ask about them "
            "at your check-ins.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        if pairing.thread_id is not None and interaction.guild is not None:
            thread = interaction.guild.get_thread(pairing.thread_id)
            if thread is not None:
                with contextlib.suppress(discord.HTTPException):  # saved; the line in the thread is a courtesy
                    await thread.send(
                        f"{unlink(interaction.user.display_name)} updated your goals: `/mentor status` shows them "
                        "to you both.",
                        allowed_mentions=NO_MENTIONS,
                    )


def meet_view(pairing_id: int) -> discord.ui.View:
    view = LanternView(timeout=None)
    for answer in ("met", "notyet", "notworking"):
        view.add_item(MeetButton(pairing_id, answer))
    view.add_item(GoalsButton(pairing_id))
    return view


GOAL_ITEMS = (MeetButton, GoalsButton)
GOAL_FORMS = (GoalsForm,)
