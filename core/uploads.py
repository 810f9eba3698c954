"""Discord's limits on the files one message carries, and packing files into messages within them.

Pure: no discord import. The limits are read when a function runs, so a test may lower them all by
the same factor to drive a large export with small data.

- FILE_LIMIT: "The file upload size limit applies to each file in a request. The default limit is
  `10 MiB`" (developers/reference.mdx, "Uploading Files"; since January 16, 2025 for interaction
  responses and webhooks too, developers/change-log.mdx). Boosted servers allow more; 10 MiB is what
  every server accepts.
- REQUEST_LIMIT: "The maximum request size when sending a message is **25 MiB**"
  (developers/resources/message.mdx, Create Message, "Limitations").
- FILES_PER_MESSAGE: `attachments` has `maxItems: 10` on every message request in specs/openapi.json
  (MessageCreateRequest, IncomingWebhookRequestPartial, IncomingWebhookInteractionRequest, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

MIB = 1024 * 1024
FILE_LIMIT = 10 * MIB
REQUEST_LIMIT = 25 * MIB
REQUEST_HEADROOM = 64 * 1024  # for the message's JSON and the multipart framing around the files
FILES_PER_MESSAGE = 10


def pack(sizes: Sequence[int]) -> list[list[int]]:
    """Indexes of files (`sizes` in bytes, in order) grouped into as few messages as Discord allows,
    keeping the order: each message has at most FILES_PER_MESSAGE files and stays within REQUEST_LIMIT."""
    budget = REQUEST_LIMIT - REQUEST_HEADROOM
    messages: list[list[int]] = []
    used = 0
    for index, size in enumerate(sizes):
        if size > FILE_LIMIT:
            raise ValueError(f"file {index} is {size} bytes, over the {FILE_LIMIT}-byte upload limit")
        if not messages or len(messages[-1]) == FILES_PER_MESSAGE or used + size > budget:
            messages.append([])
            used = 0
        messages[-1].append(index)
        used += size
    return messages


def size_text(size: int) -> str:
    """A size for people: `512 KB`, `10 MB`, `12.5 MB` (binary units, as Discord counts them)."""
    if size >= MIB:
        return f"{size / MIB:.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size} bytes"
