"""Layer two of the Discord contract: the documented rules for a bot that the published schema leaves out.

Each check returns the violations it finds, as "where: what (source)" strings; none means Discord accepts
the body. Sources are files of github.com/discord/discord-api-docs, under developers/:

- [commands] interactions/application-commands.mdx: naming, 1-100 descriptions, 25 options and choices,
  integers within ±(2^53 − 1), required before optional, 8,000 characters per command, 100/15/15 commands;
- [message] resources/message.mdx: 2,000 characters of content, embed limits and their 6,000 total,
  allowed mentions, the flags each route accepts;
- [components] components/reference.mdx: 5 action rows, 5 buttons or one select per row, custom ids 1-100
  and unique per message, button labels, selects, modal labels and text inputs;
- [responding] interactions/receiving-and-responding.mdx: callback types per interaction type, modal title
  and 1-5 components, 25 autocomplete choices;
- [channel] resources/channel.mdx: thread names 1-100, auto-archive durations;
- [uploads] reference.mdx ("Uploading Files"): 10 attachments, 10 MiB per file, 25 MiB per request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # [commands] INTEGER: "Any integer between -2^53+1 and 2^53-1"
MAX_NUMBER = 2**53  # [commands] NUMBER: "Any double between -2^53 and 2^53"
COMMAND_CHARACTERS = 8000  # [commands] "a maximum of 8000 characters for combined name, description, and value"
COMMAND_COUNTS = {1: 100, 2: 15, 3: 15}  # [commands] 100 CHAT_INPUT, 15 USER, 15 MESSAGE (global, and per guild)
CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
MAX_FILES = 10
FILE_BYTES = 10 * 1024 * 1024  # [uploads] "The default limit is 10 MiB"
REQUEST_BYTES = 25 * 1024 * 1024  # [message] "The maximum request size when sending a message is 25 MiB"
AUTO_ARCHIVE = {60, 1440, 4320, 10080}

# Message flags ([message] "Message Flags").
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
FLAGS_CHANNEL_CREATE = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
FLAGS_EDIT = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
FLAGS_INTERACTION = SUPPRESS_EMBEDS | EPHEMERAL | IS_COMPONENTS_V2 | IS_VOICE_MESSAGE | SUPPRESS_NOTIFICATIONS
# Interaction follow-ups go through Execute Webhook; EPHEMERAL is honoured there for interaction tokens.
FLAGS_FOLLOWUP = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2 | EPHEMERAL

# [responding] callback types a bot may answer each interaction type with.
CALLBACKS_FOR = {
    2: {4, 5, 9},  # APPLICATION_COMMAND
    3: {4, 5, 6, 7, 9},  # MESSAGE_COMPONENT
    4: {8},  # APPLICATION_COMMAND_AUTOCOMPLETE
    5: {4, 5, 6, 7},  # MODAL_SUBMIT: no modal in answer to a modal
}
CALLBACK_TYPES = {1, 4, 5, 6, 7, 8, 9, 10, 12}

SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, NUMBER, CHANNEL = 1, 2, 3, 4, 10, 7
TEXT_INPUT, LABEL, TEXT_DISPLAY, ACTION_ROW, BUTTON, STRING_SELECT = 4, 18, 10, 1, 2, 3
SELECTS = {3, 5, 6, 7, 8}
MODAL_CONTROLS = {TEXT_INPUT, *SELECTS, 19, 21, 22, 23}  # text input, selects, file upload, radio, checkbox(es)


def _text(value: Any, where: str, low: int, high: int, source: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: must be a string of {low}-{high} characters, got {type(value).__name__} ({source})"]
    if not low <= len(value) <= high:
        return [f"{where}: {len(value)} characters, must be {low}-{high} ({source})"]
    return []


def _optional_text(body: Mapping[str, Any], key: str, where: str, high: int, source: str, low: int = 0) -> list[str]:
    value = body.get(key)
    return [] if value is None else _text(value, f"{where}.{key}", low, high, source)


def _twice(values: Sequence[Any], what: str, source: str) -> list[str]:
    """Names or ids that must be unique among their siblings but are not."""
    return [
        f"{what} {value!r} is used twice ({source})"
        for value in sorted(set(values), key=str)
        if values.count(value) > 1
    ]


# --- application commands ----------------------------------------------------------------------------


def _devanagari_or_thai(char: str) -> bool:
    return "\u0900" <= char <= "\u097f" or "\ua8e0" <= char <= "\ua8ff" or "\u0e00" <= char <= "\u0e7f"


def _name_ok(name: str) -> bool:
    """[commands] `^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lowercase where a letter has a lowercase."""
    for char in name:
        if not (char in "-_'" or unicodedata.category(char)[0] in "LN" or _devanagari_or_thai(char)):
            return False
        if char.lower() != char:
            return False
    return 1 <= len(name) <= 32


def _chat_name(value: Any, where: str) -> list[str]:
    if not isinstance(value, str) or not _name_ok(value):
        return [f"{where}: {value!r} is not a valid name: 1-32 lowercase letters, digits, - _ ' ([commands] naming)"]
    return []


def _integer_in(value: Any, where: str, option_type: int) -> list[str]:
    if option_type == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int) or not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return [f"{where}: {value!r} is outside ±(2^53 − 1) ([commands] INTEGER)"]
    elif isinstance(value, bool) or not isinstance(value, int | float) or not -MAX_NUMBER <= value <= MAX_NUMBER:
        return [f"{where}: {value!r} is outside ±2^53 ([commands] NUMBER)"]
    return []


def _choices(option: Mapping[str, Any], where: str) -> list[str]:
    choices = option.get("choices") or []
    problems = [] if len(choices) <= 25 else [f"{where}.choices: {len(choices)} choices, at most 25 ([commands])"]
    if choices and option.get("autocomplete"):
        problems.append(f"{where}: autocomplete may not be set with choices ([commands])")
    for i, choice in enumerate(choices):
        problems += _text(choice.get("name"), f"{where}.choices[{i}].name", 1, 100, "[commands]")
        value = choice.get("value")
        if option["type"] == STRING:
            problems += _text(value, f"{where}.choices[{i}].value", 1, 100, "[commands]")
        else:
            problems += _integer_in(value, f"{where}.choices[{i}].value", option["type"])
    return problems


def _bounds(option: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    kind = option["type"]
    for key in ("min_value", "max_value"):
        if option.get(key) is not None:
            if kind not in (INTEGER, NUMBER):
                problems.append(f"{where}.{key}: only INTEGER and NUMBER options take it ([commands])")
            else:
                problems += _integer_in(option[key], f"{where}.{key}", kind)
    low, high = option.get("min_value"), option.get("max_value")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        problems.append(f"{where}: min_value {low} is above max_value {high} ([commands])")
    for key, least in (("min_length", 0), ("max_length", 1)):
        value = option.get(key)
        if value is not None and (kind != STRING or not least <= value <= 6000):
            problems.append(f"{where}.{key}: {value!r}, must be {least}-6000 on a STRING option ([commands])")
    low, high = option.get("min_length"), option.get("max_length")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(f"{where}: min_length {low} is above max_length {high} ([commands])")
    if option.get("channel_types") is not None and kind != CHANNEL:
        problems.append(f"{where}.channel_types: only CHANNEL options take it ([commands])")
    return problems


def _options(options: Sequence[Mapping[str, Any]], where: str, parent: int | None) -> list[str]:
    problems = [] if len(options) <= 25 else [f"{where}: {len(options)} options, at most 25 ([commands])"]
    problems += _twice([o.get("name") for o in options], f"{where}: option name", "[commands]")
    seen_optional = False
    for i, option in enumerate(options):
        at = f"{where}[{i}] ({option.get('name')})"
        kind = option.get("type")
        problems += _chat_name(option.get("name"), f"{at}.name")
        problems += _text(option.get("description"), f"{at}.description", 1, 100, "[commands]")
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if parent == SUB_COMMAND or (parent == SUB_COMMAND_GROUP and kind == SUB_COMMAND_GROUP):
                problems.append(f"{at}: a {kind=} option cannot sit inside a {parent=} ([commands] nesting)")
            problems += _options(option.get("options") or [], f"{at}.options", kind)
            continue
        if parent == SUB_COMMAND_GROUP:
            problems.append(f"{at}: a subcommand group holds only subcommands ([commands] nesting)")
        if option.get("required"):
            if seen_optional:
                problems.append(f"{at}: required option after an optional one ([commands] required first)")
        else:
            seen_optional = True
        problems += _choices(option, at)
        problems += _bounds(option, at)
    return problems


def _characters(node: Mapping[str, Any]) -> int:
    total = len(node.get("name") or "") + len(node.get("description") or "")
    for choice in node.get("choices") or []:
        total += len(choice.get("name") or "") + len(str(choice.get("value", "")))
    return total + sum(_characters(option) for option in node.get("options") or [])


def check_command(command: Mapping[str, Any], where: str = "command") -> list[str]:
    """One application command as `PUT …/commands` sends it."""
    kind = command.get("type", 1)
    at = f"{where} {command.get('name')!r}"
    if kind == 1:
        problems = _chat_name(command.get("name"), f"{at}.name")
        problems += _text(command.get("description"), f"{at}.description", 1, 100, "[commands]")
        problems += _options(command.get("options") or [], f"{at}.options", None)
    else:
        problems = _text(command.get("name"), f"{at}.name", 1, 32, "[commands]")
        if command.get("description"):
            problems.append(f"{at}.description: must be empty for USER and MESSAGE commands ([commands])")
        if command.get("options"):
            problems.append(f"{at}.options: only CHAT_INPUT commands take options ([commands])")
    size = _characters(command)
    if size > COMMAND_CHARACTERS:
        problems.append(f"{at}: {size} characters of names, descriptions and values, at most 8000 ([commands])")
    return problems


def check_commands(commands: Sequence[Mapping[str, Any]], where: str = "commands") -> list[str]:
    """The whole list a sync replaces, global or for one guild: every command, their counts, unique names."""
    problems: list[str] = []
    for kind, limit in COMMAND_COUNTS.items():
        of_kind = [c.get("name") for c in commands if c.get("type", 1) == kind]
        if len(of_kind) > limit:
            problems.append(f"{where}: {len(of_kind)} commands of type {kind}, at most {limit} ([commands] limits)")
        problems += _twice(of_kind, f"{where}: command", "[commands]")
    for command in commands:
        problems += check_command(command, where)
    return problems


# --- messages ----------------------------------------------------------------------------------------


def embed_characters(embed: Mapping[str, Any]) -> int:
    """[message] the characters that count toward the 6,000 total of a message's embeds."""
    fields = embed.get("fields") or []
    parts = [embed.get("title"), embed.get("description"), (embed.get("footer") or {}).get("text")]
    parts += [(embed.get("author") or {}).get("name")]
    parts += [f.get("name") for f in fields] + [f.get("value") for f in fields]
    return sum(len(p) for p in parts if isinstance(p, str))


def check_embed(embed: Mapping[str, Any], where: str) -> list[str]:
    problems = _optional_text(embed, "title", where, 256, "[message] embed limits")
    problems += _optional_text(embed, "description", where, 4096, "[message] embed limits")
    problems += _optional_text(embed.get("footer") or {}, "text", f"{where}.footer", 2048, "[message] embed limits")
    problems += _optional_text(embed.get("author") or {}, "name", f"{where}.author", 256, "[message] embed limits")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"{where}.fields: {len(fields)} fields, at most 25 ([message] embed limits)")
    for i, field in enumerate(fields):
        for key, high in (("name", 256), ("value", 1024)):
            text = field.get(key)
            problems += _text(text, f"{where}.fields[{i}].{key}", 1, high, "[message] embed field")
            if isinstance(text, str) and text and not text.strip():  # Discord trims, then finds it empty
                problems.append(f"{where}.fields[{i}].{key}: only whitespace ([message] embed field)")
    return problems


def check_allowed_mentions(mentions: Mapping[str, Any] | None, where: str) -> list[str]:
    if mentions is None:
        return []
    parse = mentions.get("parse") or []
    problems = [
        f"{where}.parse: unknown type {kind!r} ([message] allowed mentions)"
        for kind in parse
        if kind not in ("roles", "users", "everyone")
    ]
    for key in ("users", "roles"):
        ids = mentions.get(key) or []
        if ids and key in parse:
            problems.append(f"{where}: {key!r} in parse and listed too; they exclude each other ([message])")
        if len(ids) > 100:
            problems.append(f"{where}.{key}: {len(ids)} ids, at most 100 ([message] allowed mentions)")
    return problems


def _button(button: Mapping[str, Any], where: str) -> list[str]:
    style = button.get("style")
    problems = [] if style in (1, 2, 3, 4, 5, 6) else [f"{where}.style: {style!r} is not a button style ([components])"]
    problems += _optional_text(button, "label", where, 80, "[components] button")
    if style == 5:
        if not button.get("url") or button.get("custom_id") is not None:
            problems.append(f"{where}: a link button has a url and no custom_id ([components] button)")
        problems += _optional_text(button, "url", where, 512, "[components] button")
    elif style != 6 and (button.get("custom_id") is None or button.get("url") is not None):
        problems.append(f"{where}: a non-link button has a custom_id and no url ([components] button)")
    if style != 6 and not button.get("label") and not button.get("emoji"):
        problems.append(f"{where}: a button needs a label or an emoji ([components] button)")
    return problems


def _select(select: Mapping[str, Any], where: str) -> list[str]:
    problems = _optional_text(select, "placeholder", where, 150, "[components] select")
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not 0 <= low <= 25 or not 1 <= high <= 25 or low > high:
        problems.append(f"{where}: min_values {low} / max_values {high}, need 0 ≤ min ≤ max ≤ 25 ([components])")
    if select.get("type") == STRING_SELECT:
        options = select.get("options") or []
        if not 1 <= len(options) <= 25:
            problems.append(f"{where}.options: {len(options)} options, must be 1-25 ([components] string select)")
        if high > len(options):
            problems.append(f"{where}: max_values {high} exceeds its {len(options)} options ([components])")
        problems += _twice([o.get("value") for o in options], f"{where}.options: value", "[components]")
        for i, option in enumerate(options):
            problems += _text(option.get("label"), f"{where}.options[{i}].label", 1, 100, "[components] select option")
            problems += _text(option.get("value"), f"{where}.options[{i}].value", 1, 100, "[components] select option")
            problems += _optional_text(option, "description", f"{where}.options[{i}]", 100, "[components]")
    return problems


def _custom_ids(components: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, Any]]:
    for component in components:
        if "custom_id" in component:
            yield str(component.get("type")), component["custom_id"]
        children = list(component.get("components") or [])
        if isinstance(component.get("component"), Mapping):
            children.append(component["component"])
        if isinstance(component.get("accessory"), Mapping):
            children.append(component["accessory"])
        yield from _custom_ids(children)


def _unique_custom_ids(components: Sequence[Mapping[str, Any]], where: str) -> list[str]:
    problems = []
    ids = [custom_id for _, custom_id in _custom_ids(components)]
    for custom_id in ids:
        if custom_id is not None:
            problems += _text(custom_id, f"{where} custom_id", 1, 100, "[components] custom_id")
    problems += _twice([custom_id for custom_id in ids if custom_id is not None], f"{where}: custom_id", "[components]")
    return problems


def check_message_components(components: Sequence[Mapping[str, Any]], where: str, flags: int = 0) -> list[str]:
    """Legacy message components ([components] "Legacy Message Component Behavior"): up to 5 action rows."""
    if flags & IS_COMPONENTS_V2:
        return _unique_custom_ids(components, where)  # layout rules of v2 are in the published schema
    problems = [] if len(components) <= ACTION_ROWS else [f"{where}: {len(components)} rows, at most 5 ([components])"]
    for r, row in enumerate(components):
        at = f"{where}[{r}]"
        if row.get("type") != ACTION_ROW:
            problems.append(f"{at}: top-level components of a message are action rows ([components] legacy)")
            continue
        children = row.get("components") or []
        kinds = [c.get("type") for c in children]
        if not children:
            problems.append(f"{at}: an empty action row ([components] action row)")
        elif any(k in SELECTS for k in kinds) and len(children) != 1:
            problems.append(f"{at}: a select fills its row alone ([components] action row)")
        elif len(children) > BUTTONS_PER_ROW:
            problems.append(f"{at}: {len(children)} buttons, at most 5 per row ([components] action row)")
        for c, child in enumerate(children):
            if child.get("type") == BUTTON:
                problems += _button(child, f"{at}[{c}]")
            elif child.get("type") in SELECTS:
                problems += _select(child, f"{at}[{c}]")
            else:
                problems.append(f"{at}[{c}]: type {child.get('type')!r} cannot sit in a message row ([components])")
    return problems + _unique_custom_ids(components, where)


def _file_size(file: Any) -> int:
    fp = getattr(file, "fp", None)
    if fp is None or not hasattr(fp, "seek"):
        return 0
    position = fp.tell()
    size = fp.seek(0, 2)
    fp.seek(position)
    return int(size)


def check_files(files: Sequence[Any], where: str) -> list[str]:
    sizes = [_file_size(f) for f in files]
    problems = [] if len(files) <= MAX_FILES else [f"{where}: {len(files)} files, at most 10 ([uploads])"]
    for file, size in zip(files, sizes, strict=True):
        if size > FILE_BYTES:
            problems.append(f"{where}: {getattr(file, 'filename', '?')} is {size} bytes, over 10 MiB ([uploads])")
    if sum(sizes) > REQUEST_BYTES:
        problems.append(f"{where}: {sum(sizes)} bytes of files in one request, over 25 MiB ([message])")
    return problems


def check_message(
    body: Mapping[str, Any], where: str, *, allowed_flags: int, edit: bool = False, files: Sequence[Any] = ()
) -> list[str]:
    """A message as created or edited through any route: content, embeds, components, mentions, flags."""
    problems: list[str] = []
    content = body.get("content")
    if content is not None:
        problems += _text(content, f"{where}.content", 0, CONTENT, "[message] content")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS:
        problems.append(f"{where}.embeds: {len(embeds)} embeds, at most 10 ([message])")
    for i, embed in enumerate(embeds):
        problems += check_embed(embed, f"{where}.embeds[{i}]")
    total = sum(embed_characters(e) for e in embeds)
    if total > EMBED_TOTAL:
        problems.append(f"{where}.embeds: {total} characters in all, at most 6000 ([message] embed limits)")
    flags = body.get("flags") or 0
    if flags & ~allowed_flags:
        problems.append(f"{where}.flags: {flags} sets flags this route does not accept ({flags & ~allowed_flags})")
    problems += check_message_components(body.get("components") or [], f"{where}.components", flags)
    problems += check_allowed_mentions(body.get("allowed_mentions"), f"{where}.allowed_mentions")
    nonce = body.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        problems.append(f"{where}.nonce: {len(nonce)} characters, at most 25 ([message] create message)")
    problems += check_files(files, f"{where} files")
    keys = ("embeds", "components", "sticker_ids", "poll", "attachments")
    if not edit and not (content or "").strip() and not files and not any(body.get(key) for key in keys):
        problems.append(f"{where}: an empty message (no content, embed, component, file or sticker) ([message])")
    return problems


# --- interactions, modals, threads --------------------------------------------------------------------


def _text_input(control: Mapping[str, Any], where: str, in_label: bool) -> list[str]:
    problems = [] if control.get("style") in (1, 2) else [f"{where}.style: must be 1 or 2 ([components] text input)"]
    if not in_label:  # a text input in an action row carries its own label
        problems += _text(control.get("label"), f"{where}.label", 1, 45, "[components] text input")
    problems += _optional_text(control, "placeholder", where, 100, "[components] text input")
    low, high = control.get("min_length", 0), control.get("max_length", 4000)
    if not 0 <= low <= 4000 or not 1 <= high <= 4000 or low > high:
        problems.append(f"{where}: min_length {low} / max_length {high}, need 0 ≤ min ≤ max ≤ 4000 ([components])")
    value = control.get("value")
    if isinstance(value, str) and len(value) > min(high, 4000):
        problems.append(f"{where}.value: {len(value)} characters pre-filled, above max_length {high} ([components])")
    return problems


def check_modal(data: Mapping[str, Any], where: str = "modal") -> list[str]:
    problems = _text(data.get("title"), f"{where}.title", 1, 45, "[responding] modal")
    problems += _text(data.get("custom_id"), f"{where}.custom_id", 1, 100, "[responding] modal")
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append(f"{where}.components: {len(components)} components, must be 1-5 ([responding] modal)")
    for i, component in enumerate(components):
        at = f"{where}.components[{i}]"
        kind = component.get("type")
        if kind == LABEL:
            problems += _text(component.get("label"), f"{at}.label", 1, 45, "[components] label")
            problems += _optional_text(component, "description", at, 100, "[components] label")
            control = component.get("component") or {}
            if control.get("type") not in MODAL_CONTROLS:
                problems.append(f"{at}.component: a label wraps one modal control ([components] label)")
            elif control.get("type") == TEXT_INPUT:
                problems += _text_input(control, f"{at}.component", in_label=True)
            elif control.get("type") in SELECTS:
                problems += _select(control, f"{at}.component")
        elif kind == ACTION_ROW:
            children = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != TEXT_INPUT:
                problems.append(f"{at}: a modal action row holds exactly one text input ([components])")
            else:
                problems += _text_input(children[0], f"{at}.components[0]", in_label=False)
        elif kind == TEXT_DISPLAY:
            problems += _text(component.get("content"), f"{at}.content", 1, 4000, "[components] text display")
        else:
            problems.append(f"{at}: type {kind!r} cannot be a top-level modal component ([components])")
    return problems + _unique_custom_ids(components, f"{where}.components")


def check_autocomplete(data: Mapping[str, Any], where: str = "autocomplete") -> list[str]:
    choices = data.get("choices") or []
    problems = [] if len(choices) <= 25 else [f"{where}: {len(choices)} choices, at most 25 ([responding])"]
    for i, choice in enumerate(choices):
        problems += _text(choice.get("name"), f"{where}.choices[{i}].name", 1, 100, "[commands] choice")
        value = choice.get("value")
        if isinstance(value, str):
            problems += _text(value, f"{where}.choices[{i}].value", 1, 100, "[commands] choice")
        else:
            problems += _integer_in(value, f"{where}.choices[{i}].value", NUMBER)
    return problems


def check_callback(body: Mapping[str, Any], interaction_type: int | None, files: Sequence[Any] = ()) -> list[str]:
    """An interaction response: a callback type the interaction allows, and a valid body for that type."""
    kind = body.get("type")
    where = f"callback type {kind}"
    if kind not in CALLBACK_TYPES:
        return [f"{where}: not an interaction callback type ([responding])"]
    allowed = CALLBACKS_FOR.get(interaction_type or 0)
    if allowed is not None and kind not in allowed:
        return [f"{where}: not a valid answer to interaction type {interaction_type} ([responding])"]
    data = body.get("data") or {}
    if kind in (4, 7):
        return check_message(data, where, allowed_flags=FLAGS_INTERACTION, edit=kind == 7, files=files)
    if kind == 5 and (data.get("flags") or 0) & ~FLAGS_INTERACTION:
        return [f"{where}.flags: {data['flags']} is not a flag an interaction response takes ([responding])"]
    if kind == 8:
        return check_autocomplete(data, where)
    if kind == 9:
        return check_modal(data, where)
    return []


def check_thread(body: Mapping[str, Any], where: str) -> list[str]:
    problems = _text(body.get("name"), f"{where}.name", 1, 100, "[channel] thread name")
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in AUTO_ARCHIVE:
        problems.append(f"{where}.auto_archive_duration: {duration!r}, not 60, 1440, 4320 or 10080 ([channel])")
    return problems


# --- routing -------------------------------------------------------------------------------------------


def check_request(
    method: str, path: str, body: Any, *, files: Sequence[Any] = (), interaction_type: int | None = None
) -> list[str]:
    """Every documented rule that applies to one request the bot sends."""
    parts = path.strip("/").split("/")
    route = f"{method} /{'/'.join(parts)}"
    if not isinstance(body, Mapping | list):
        return check_files(files, route) if files else []
    if isinstance(body, list):
        if method == "PUT" and parts[-1] == "commands":
            return check_commands(body, route)
        return []
    if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
        return [f"{route} {p}" for p in check_callback(body, interaction_type, files)]
    if parts[0] == "webhooks":
        if method == "POST" and len(parts) == 3:  # execute webhook: an interaction follow-up
            return check_message(body, route, allowed_flags=FLAGS_FOLLOWUP, files=files)
        if method == "PATCH" and len(parts) == 5:  # edit the original response or a follow-up
            return check_message(body, route, allowed_flags=FLAGS_EDIT | EPHEMERAL, edit=True, files=files)
        return []
    if parts[0] == "channels":
        if method == "POST" and parts[-1] == "messages" and len(parts) == 3:
            return check_message(body, route, allowed_flags=FLAGS_CHANNEL_CREATE, files=files)
        if method == "PATCH" and len(parts) == 4 and parts[2] == "messages":
            return check_message(body, route, allowed_flags=FLAGS_EDIT, edit=True, files=files)
        if method == "POST" and parts[-1] == "threads":
            problems = check_thread(body, route)
            if isinstance(body.get("message"), Mapping):  # a forum post carries its first message
                problems += check_message(body["message"], f"{route}.message", allowed_flags=FLAGS_CHANNEL_CREATE)
            return problems
        if method == "PATCH" and len(parts) == 2 and "name" in body:
            return _text(body.get("name"), f"{route}.name", 1, 100, "[channel] name")
    return []
