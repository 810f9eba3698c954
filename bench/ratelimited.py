"""A fake Discord that rate-limits like Discord, under discord.py's real HTTP client and rate limiter.

SimCord replaces `HTTPClient.request` as a whole, so discord.py's own rate limiter never runs and a 429 is just
an error (TESTING.md 3.10). `RateLimitedDiscord.install(bot)` puts discord.py's real `HTTPClient.request` back
and gives it a fake aiohttp session that answers from SimCord's backend, the way Discord answers:

* a global limit of `global_rate` requests per second (fixed one-second windows; interaction answers, which go
  through the webhook adapter, are exempt as on Discord): a 429 with `"global": true` and `retry_after`;
* per-route buckets with `X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket` headers on every answer
  (a channel's messages: 5 per 5 seconds; anything else: 50 per second), and a 429 with `retry_after` and
  `X-RateLimit-Scope: user` when a bucket is spent;
* `Via` on every 429 (without it discord.py takes a 429 for a Cloudflare ban);
* a message sent again to the same channel with the same nonce and `enforce_nonce` returns the first message
  (Discord drops the repeat for a few minutes);
* `latency` seconds of network round trip on each request.

So discord.py's per-route buckets, its global lock and its 429 retries all run for real, and the figures show
what Lantern gets through them. It counts every request, every 429 and when each route was used.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
import types
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from discord.http import HTTPClient
from multidict import CIMultiDict
from simcord.backend.errors import BackendError
from simcord.http import router
from simcord.http.client import _path_of

from core.jobs import paced_requests

MESSAGES = re.compile(r"^/channels/(\d+)/messages$")
MESSAGE = re.compile(r"^/channels/(\d+)/messages/\d+$")
EXEMPT = ("/interactions/", "/webhooks/")


@dataclass
class Bucket:
    limit: int
    per: float
    name: str
    window_start: float = -math.inf
    used: int = 0

    def reset_after(self, now: float) -> float:
        return max(self.window_start + self.per - now, 0.0)

    def take(self, now: float) -> bool:
        if now >= self.window_start + self.per:
            self.window_start, self.used = now, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True


@dataclass
class Counts:
    requests: Counter[str] = field(default_factory=Counter)  # by route ("POST /channels/{id}/messages")
    answered: int = 0
    global_429: int = 0
    route_429: int = 0
    deduplicated: int = 0
    first: float | None = None
    last: float | None = None


def route_of(method: str, path: str) -> tuple[str, str]:
    """(route, major parameter) of a request: its bucket."""
    parts = path.strip("/").split("/")
    major = parts[1] if len(parts) > 1 and parts[0] in ("channels", "guilds", "webhooks") else ""
    shape = "/".join("{id}" if part.isdigit() else part for part in parts)
    return f"{method} /{shape}", major


class _Response:
    """Enough of an aiohttp response for discord.py's request loop and its exceptions."""

    def __init__(self, status: int, body: Any, headers: CIMultiDict[str]) -> None:
        self.status = status
        self.reason = {200: "OK", 204: "No Content", 429: "Too Many Requests"}.get(status, "Error")
        self._text = "" if body is None else json.dumps(body)
        self.headers = headers
        if body is not None:  # a 204 has no body and no content type
            self.headers.setdefault("content-type", "application/json")

    async def text(self, encoding: str = "utf-8") -> str:
        return self._text

    async def __aenter__(self) -> _Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Request:
    def __init__(self, fake: RateLimitedDiscord, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.fake, self.method, self.url, self.kwargs = fake, method, url, kwargs

    async def __aenter__(self) -> _Response:
        return await self.fake.answer(self.method, self.url, self.kwargs)

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Session:
    def __init__(self, fake: RateLimitedDiscord) -> None:
        self.fake = fake
        self.closed = False

    def request(self, method: str, url: str, **kwargs: Any) -> _Request:
        return _Request(self.fake, method, url, kwargs)

    async def close(self) -> None:
        self.closed = True


class RateLimitedDiscord:
    def __init__(self, backend: Any, *, global_rate: int = 50, latency: float = 0.0) -> None:
        self.backend = backend
        self.global_rate = global_rate
        self.latency = latency
        self.counts = Counts()
        self._global = Bucket(global_rate, 1.0, "global")
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._nonces: dict[tuple[str, str], Any] = {}

    def install(self, bot: Any) -> None:
        """Route `bot`'s REST calls (not interaction answers) through discord.py's real client and this fake; owed
        work's requests still wait their turn on the bot's pace (core.jobs.paced_requests)."""
        http = bot.http
        original = type(http).request  # SimCord's: kept for multipart bodies (files), which never come here

        async def request(self: HTTPClient, route: Any, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
            if files or form:
                return await original(self, route, files=files, form=form, **kwargs)
            return await HTTPClient.request(self, route, **kwargs)

        http._HTTPClient__session = _Session(self)
        http._global_over = asyncio.Event()
        http._global_over.set()
        http.request = types.MethodType(request, http)
        paced_requests(http)  # as the bot's setup_hook does: owed work's requests wait their turn on its pace

    def bucket(self, method: str, path: str) -> Bucket:
        route, major = route_of(method, path)
        key = (route, major)
        found = self._buckets.get(key)
        if found is None:
            if (method == "POST" and MESSAGES.match(path)) or (method == "PATCH" and MESSAGE.match(path)):
                found = Bucket(5, 5.0, f"messages-{method.lower()}")
            else:
                found = Bucket(50, 1.0, f"route-{abs(hash(route)) % 10**8}")
            self._buckets[key] = found
        return found

    async def answer(self, method: str, url: str, kwargs: dict[str, Any]) -> _Response:
        if self.latency:
            await asyncio.sleep(self.latency / 2)  # the request on its way
        response = self._answer(method, url, kwargs)
        if self.latency:
            await asyncio.sleep(self.latency / 2)  # the answer on its way back
        return response

    def _answer(self, method: str, url: str, kwargs: dict[str, Any]) -> _Response:
        loop_now = asyncio.get_running_loop().time()
        path = _path_of(url)
        counts = self.counts
        counts.first = loop_now if counts.first is None else counts.first
        counts.last = loop_now
        route, _ = route_of(method, path)
        counts.requests[route] += 1
        exempt = path.startswith(EXEMPT)
        if not exempt and not self._global.take(loop_now):
            counts.global_429 += 1
            retry = self._global.reset_after(loop_now)
            body = {"message": "You are being rate limited.", "retry_after": retry, "global": True}
            headers = CIMultiDict({"Via": "1.1 google", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
            headers["Retry-After"] = str(math.ceil(retry))
            return _Response(429, body, headers)
        bucket = self.bucket(method, path)
        if not exempt and not bucket.take(loop_now):
            counts.route_429 += 1
            retry = bucket.reset_after(loop_now)
            body = {"message": "You are being rate limited.", "retry_after": retry, "global": False}
            headers = self._limit_headers(bucket, loop_now)
            headers.update({"Via": "1.1 google", "X-RateLimit-Scope": "user", "Retry-After": str(math.ceil(retry))})
            return _Response(429, body, headers)
        headers = self._limit_headers(bucket, loop_now)
        data = kwargs.get("data")
        payload = json.loads(data) if isinstance(data, str | bytes) else None
        channel = MESSAGES.match(path) if method == "POST" else None
        nonce_key = None
        if channel and isinstance(payload, dict) and payload.get("enforce_nonce") and payload.get("nonce"):
            nonce_key = (channel.group(1), str(payload["nonce"]))
            if nonce_key in self._nonces:
                counts.deduplicated += 1
                counts.answered += 1
                return _Response(200, self._nonces[nonce_key], headers)
        try:
            body = router.dispatch(self.backend, method, path, json=payload, params=kwargs.get("params"), files=[])
        except BackendError as error:
            return _Response(error.status, error.to_json(), headers)
        if nonce_key is not None:
            self._nonces[nonce_key] = body
        counts.answered += 1
        return _Response(200 if body is not None else 204, body, headers)

    @staticmethod
    def _limit_headers(bucket: Bucket, now: float) -> CIMultiDict[str]:
        reset_after = bucket.reset_after(now)
        return CIMultiDict(
            {
                "X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Remaining": str(max(bucket.limit - bucket.used, 0)),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket.name,
            }
        )
