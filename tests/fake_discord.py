"""A local fake of Discord's HTTP API, just enough for a login, a command sync and an application lookup,
and a way to run the `lantern` command line against it as a separate process (discord.py's API base
pointed at the fake). Used by the tests of `lantern sync` and `lantern doctor`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "1456000000000000001"
# A well-formed bot token for the fake: base64 of the bot's id, a timestamp part, an HMAC part.
TOKEN = "MTQ1NjAwMDAwMDAwMDAwMDAwMQ.GfakeT.fake-signature-for-a-local-fake-discord"
USER = {"id": APP_ID, "username": "Lantern", "discriminator": "0", "avatar": None, "bot": True}
MEMBERS_INTENT = 1 << 15  # GATEWAY_GUILD_MEMBERS_LIMITED


def application(flags: int) -> dict[str, Any]:
    return {
        "id": APP_ID,
        "name": "Lantern",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": USER,
        "verify_key": "0" * 64,
        "flags": flags,
    }


class FakeDiscord(BaseHTTPRequestHandler):
    """Answers GET /users/@me and /oauth2/applications/@me; PUT of commands through `refuse(payload)`."""

    received: list[Any]
    flags = MEMBERS_INTENT
    refusal: Any = None  # (status, body) or a function of the payload giving one; None accepts

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, USER if self.path.endswith("/users/@me") else application(self.flags))

    def do_PUT(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(payload)
        refusal = type(self).refusal  # read on the class: a function stays a plain function
        if callable(refusal):
            refusal = refusal(payload)
        if refusal is None:
            self._send(200, payload)
        else:
            self._send(*refusal)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_discord() -> Iterator[tuple[str, type[FakeDiscord]]]:
    """(API base URL, the handler class whose attributes steer the answers)."""
    handler = type("Handler", (FakeDiscord,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v10", handler
    finally:
        server.shutdown()
        server.server_close()


def run_lantern(
    api: str, cwd: Path, *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`lantern ARGS` as a separate process, talking to the fake Discord at `api`."""
    script = (
        "import sys, discord.http; discord.http.Route.BASE = sys.argv[1]; import bot; sys.exit(bot.main(sys.argv[2:]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL", "DEV_GUILD_ID"}}
    env.update(DISCORD_TOKEN=TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{cwd / 'lantern.db'}", PYTHONPATH=str(ROOT))
    env["PROTECTION_KEY"] = "a-protection-key-for-tests-only-0123456789"  # no key file, and no line saying so
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-c", script, api, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
