"""/resources (moderators): review, remove, import and export the library."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.resources import library
from cogs.resources.cards import GONE, PERMISSION, REFUSED, CardNotPosted, shared_what
from cogs.resources.urls import stored_uri
from cogs.resources.views import review_message
from core import permissions, uploads
from core.channels import configured_channel
from core.errors import InvalidInput, LanternError, NotAllowed, NotFound
from core.text import NO_MENTIONS, plural, truncate, unlink
from storage import resources as store
from storage.guilds import enabled_themes
from storage.models.resources import PENDING, Resource

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.resources.cog import Resources

log = logging.getLogger(__name__)

REVIEW_PAGE = 5
MAX_EXPORT_MESSAGES = 10  # one export's messages: 20 files of 10 MiB or more (two fit in a 25 MiB request)


class ResourceModeration(commands.Cog):
    """Moderating the resource library."""

    resources = app_commands.Group(
        name="resources",
        description="Moderate the resource library (moderators)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    @property
    def library_cog(self) -> Resources:
        return cast("Resources", self.bot.get_cog("Resources"))

    async def queue(self, guild_id: int) -> dict[str, Any]:
        async with self.bot.db.read() as session:
            rows, total = await store.pending(session, guild_id, REVIEW_PAGE)
        return review_message(rows, total, await self.library_cog.theme_labels(guild_id))

    @resources.command(name="review", description="Approve or reject resources waiting for review")
    async def review(self, interaction: discord.Interaction) -> None:
        message = await self.queue(interaction.guild_id or 0)
        if message["view"] is None:
            del message["view"]
        await interaction.response.send_message(**message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def review_action(self, interaction: discord.Interaction, action: str, resource_id: int) -> None:
        guild = interaction.guild
        assert guild is not None
        async with self.bot.db.read() as session:
            resource = await store.get_resource(session, guild.id, resource_id)
        if resource is None or resource.status != PENDING:
            raise NotAllowed(already_reviewed(resource_id))
        title = discord.utils.escape_markdown(resource.title)
        if action == "approve":
            approved = await self.approve(interaction, guild, resource)
            message = await self.queue(guild.id)
            message["content"] = f"Approved “{title}”. {message['content']}"
            try:
                await interaction.edit_original_response(**message, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as error:  # the approval stands: the card is up; say so privately
                log.warning("could not refresh the review queue after approving %s: %s", approved.id, error)
                await interaction.followup.send(
                    f"Approved “{title}”: {self.library_cog.link_to(approved, guild.id)}. "
                    "`/resources review` shows what is left.",
                    ephemeral=True,
                )
            await self.library_cog.tell(
                approved.submitter_id,
                f"Good news: “{title}”, which you shared in {guild.name}, is now in the resource library. "
                f"{self.library_cog.link_to(approved, guild.id)}",
            )
            done = "Approved"
        else:
            async with self.bot.db.write() as session:
                rejected = await store.delete_resource(session, guild.id, resource_id, status=PENDING)
            if rejected is None:
                raise NotAllowed(already_reviewed(resource_id))
            message = await self.queue(guild.id)
            message["content"] = f"Rejected “{title}”. {message['content']}"
            await interaction.response.edit_message(**message, allowed_mentions=NO_MENTIONS)
            await self.library_cog.tell(
                rejected.submitter_id,
                f"Thank you for sharing “{title}” in {guild.name}. A moderator decided not to add it to the "
                "library this time.",
            )
            done, approved = "Rejected", rejected
        await self.bot.modlog.post(
            guild.id,
            f"Resource {done.lower()}",
            f"#{approved.id} {unlink(approved.title)}\n{stored_uri(approved.url)}",
            actor=interaction.user,
        )

    async def approve(self, interaction: discord.Interaction, guild: discord.Guild, resource: Resource) -> Resource:
        """Post the card first, then move the resource into the library with the card's place, in one write.
        If the card can't be posted the resource stays in the queue, unchanged, and the moderator is told why."""
        async with self.bot.db.read() as session:
            channel = await configured_channel(
                session, guild, "resources_channel_id", feature="The resource library", option="resources"
            )
        what = shared_what(resource.title, resource.submitter_id)
        try:
            await self.library_cog.cards.refuse_unpostable(guild, channel, what, STAYS_LOG)
            await interaction.response.defer()  # posting may take a few attempts
            card = await self.library_cog.cards.publish(guild, resource, channel, STAYS_LOG)
        except CardNotPosted as failure:
            raise NotAllowed(stays_text(failure, resource.id)) from None
        async with self.bot.db.write() as session:
            approved = await store.approve(session, guild.id, resource.id, self.bot.clock(), card=(channel.id, card.id))
        if approved is None:  # another moderator reviewed it meanwhile: keep their decision, and one card
            try:
                await card.delete()
            except discord.HTTPException as error:
                log.warning("could not take back the second card %s of resource %s: %s", card.id, resource.id, error)
            raise NotAllowed(already_reviewed(resource.id))
        return approved

    @resources.command(name="remove", description="Remove any resource from the library")
    @app_commands.describe(
        resource="The resource (pick from the list as you type its title)",
        reason="Why, for the mod-log (up to 200 characters)",
    )
    async def remove(
        self,
        interaction: discord.Interaction,
        resource: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        guild_id = interaction.guild_id or 0
        async with self.bot.db.write() as session:
            removed = await store.delete_resource(session, guild_id, resource)
        if removed is None:
            raise NotFound("a resource with the number", str(resource), "Pick one from the list as you type.")
        await interaction.response.send_message(
            f"Removed “{discord.utils.escape_markdown(removed.title)}” from the library.", ephemeral=True
        )
        await self.library_cog.cards.unpost(interaction, removed)
        detail = f"#{removed.id} {unlink(removed.title)}\n{stored_uri(removed.url)}"
        detail += f"\nReason: {reason}" if reason else ""
        await self.bot.modlog.post(guild_id, "Resource removed", detail, actor=interaction.user)

    @remove.autocomplete("resource")
    async def any_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as session:
            rows = await store.own_or_all(session, interaction.guild_id or 0, current, submitter_id=None)
        return [app_commands.Choice(name=truncate(f"#{r.id} {r.title}", 100), value=r.id) for r in rows]

    @resources.command(name="import", description="Add resources from a CSV or JSON file (url, title, …)")
    @app_commands.describe(
        file="A .csv with a header row (url,title,description,themes,tags) or a .json list; up to 512 KB"
    )
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        guild_id = interaction.guild_id or 0
        if file.size > library.MAX_IMPORT_BYTES:
            raise InvalidInput(
                "The file", f"is {file.size // 1024} KB; the limit is {library.MAX_IMPORT_BYTES // 1024} KB"
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = library.read_import(file.filename, await file.read())
        async with self.bot.db.read() as session:
            known = await enabled_themes(session, guild_id)
        drafts: list[library.Draft] = []
        rejected: list[str] = []
        seen: set[str] = set()
        duplicates = 0
        for row in rows:
            f = row.fields
            try:
                draft = library.validate(
                    f.get("url", ""), f.get("title", ""), f.get("description"), f.get("themes"), f.get("tags"), known
                )
            except LanternError as error:
                rejected.append(f"line {row.line}: {error.user_message()}")
                continue
            if draft.canonical_url in seen:
                duplicates += 1
                continue
            seen.add(draft.canonical_url)
            drafts.append(draft)
        now = self.bot.clock()
        added = 0
        async with self.bot.db.write() as session:
            existing = await store.existing_canonicals(session, guild_id, [d.canonical_url for d in drafts])
            for draft in drafts:
                if draft.canonical_url in existing:
                    duplicates += 1
                    continue
                stored = await store.add_resource(
                    session,
                    guild_id=guild_id,
                    url=draft.url,
                    canonical_url=draft.canonical_url,
                    title=draft.title,
                    description=draft.description,
                    themes=draft.themes,
                    tags=draft.tags,
                    submitter_id=None,
                    approved=True,
                    now=now,
                )
                if stored is None:
                    duplicates += 1
                else:
                    added += 1
        summary = (
            f"Imported {file.filename}: {plural(added, 'resource')} added, {plural(duplicates, 'duplicate')} skipped, "
            f"{len(rejected)} rejected."
        )
        text = summary
        if rejected:
            text += "\n" + "\n".join(f"• {line}" for line in rejected[:15])
            if len(rejected) > 15:
                text += f"\n…and {len(rejected) - 15} more."
        if added:
            text += "\nImported resources are searchable right away; they aren't posted in the channel one by one."
        await interaction.followup.send(truncate(text, 1900), ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.bot.modlog.post(guild_id, "Resources imported", summary, actor=interaction.user)

    @resources.command(name="export", description="Download the library as CSV (several files if it is large)")
    async def export(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        # Reading and writing out a large library can take longer than the 3 seconds Discord waits.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.read() as session:
            rows = await store.library_rows(session, guild_id)
        parts = library.export_csv_parts(
            ((r.url, r.title, r.description, ", ".join(r.theme_keys), ", ".join(r.tag_list)) for r in rows),
            uploads.FILE_LIMIT,
        )
        messages = uploads.pack([len(part.data) for part in parts])
        if len(messages) > MAX_EXPORT_MESSAGES:
            size = uploads.size_text(sum(len(part.data) for part in parts))
            raise NotAllowed(
                f"The library is {size} as CSV ({plural(len(rows), 'resource')}): more than I can send in "
                f"{MAX_EXPORT_MESSAGES} messages within Discord's upload limits. "
                "Please ask whoever hosts Lantern for a copy of its database."
            )
        names = library.export_filenames(len(parts))
        for number, batch in enumerate(messages):
            files = [discord.File(io.BytesIO(parts[i].data), filename=names[i]) for i in batch]
            text = export_text(len(rows), parts, messages, number)
            await interaction.followup.send(text, files=files, ephemeral=True)


STAYS_LOG = "It stays in `/resources review` until it can be posted."


def already_reviewed(resource_id: int) -> str:
    return f"Resource #{resource_id} was already reviewed. `/resources review` shows what is left."


def stays_text(failure: CardNotPosted, resource_id: int) -> str:
    """What the approving moderator reads when the card couldn't be posted."""
    text = f"{failure.problem()}, so resource #{resource_id} stays in the review queue."
    if failure.kind == PERMISSION:
        return f"{text} Fix: {permissions.fix(failure.channel, failure.lacking)}, then approve it again."
    if failure.kind == GONE:
        return f"{text} Choose another channel with `/setup channels resources:`, then approve it again."
    if failure.kind == REFUSED:
        return f"{text} {failure.why[:1].upper()}{failure.why[1:]}."
    return f"{text} Please approve it again in a few minutes."


def export_text(resources: int, parts: list[library.ExportPart], messages: list[list[int]], number: int) -> str:
    """What message `number` of an export says: the whole export in the first, which files in the others."""
    first, last = messages[number][0] + 1, messages[number][-1] + 1
    files = f"File {first}" if first == last else f"Files {first}–{last}"
    if number > 0:
        return f"{files} of {len(parts)} of the library export."
    if all(part.importable for part in parts):
        reads = "this file" if len(parts) == 1 else "each file"
        back = f"`/resources import` reads {reads} back."
    else:
        back = (
            f"`/resources import` reads files of up to {uploads.size_text(library.MAX_IMPORT_BYTES)} and "
            f"{library.MAX_IMPORT_ROWS} rows, so split a bigger one before importing it."
        )
    if len(parts) == 1:
        return f"The library: {plural(resources, 'resource')}. {back}"
    text = (
        f"The library: {plural(resources, 'resource')}, in {len(parts)} CSV files of at most "
        f"{uploads.size_text(uploads.FILE_LIMIT)} (Discord's upload limit), each with the header row."
    )
    if len(messages) > 1:
        here = "is" if first == last else "are"
        text += f" {files} {here} here; the rest follow in {plural(len(messages) - 1, 'more message')}."
    return f"{text} {back}"
