"""`./lantern sync` against a Discord that refuses the commands: one line naming the command and field.

The fake Discord is a local HTTP server speaking just enough of the API for a login and a sync: it
answers the bulk command upload as real Discord answers a payload outside its rules (400, error 50035,
errors keyed by position). The bot runs as a separate process, as `./lantern sync` runs it, with
discord.py's API base pointed at the fake.
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
USER = {"id": APP_ID, "username": "Lantern", "discriminator": "0", "avatar": None, "bot": True}
APPLICATION = {
    "id": APP_ID,
    "name": "Lantern",
    "description": "",
    "icon": None,
    "bot_public": True,
    "bot_require_code_grant": False,
    "owner": USER,
    "verify_key": "0" * 64,
    "flags": 0,
}


def first_integer_option(payload: list[dict[str, Any]]) -> tuple[str, str, str]:
    """Where a refusal of an integer bound points: (error key path, command as named, option name)."""
    for index, command in enumerate(payload):
        stack: list[tuple[str, list[str], dict[str, Any]]] = [(str(index), [command["name"]], command)]
        while stack:
            key, names, node = stack.pop(0)
            for position, option in enumerate(node.get("options") or []):
                child = f"{key}.options.{position}"
                if option["type"] in (1, 2):
                    stack.append((child, [*names, option["name"]], option))
                elif option["type"] == 4:
                    return child, "/" + " ".join(names), option["name"]
    raise AssertionError("no integer option in the payload")


def nest(path: str, leaf: dict[str, Any]) -> dict[str, Any]:
    tree = leaf
    for key in reversed(path.split(".")):
        tree = {key: tree}
    return tree


class FakeDiscord(BaseHTTPRequestHandler):
    received: list[Any]
    answer: dict[str, Any] | None = None
    status = 400

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, USER if self.path.endswith("/users/@me") else APPLICATION)

    def do_PUT(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(payload)
        if self.status == 403:
            self._send(403, {"message": "Missing Access", "code": 50001})
            return
        path, _, _ = first_integer_option(payload)
        error = {
            "_errors": [
                {"code": "NUMBER_TYPE_MAX", "message": "int value should be less than or equal to 9007199254740991."}
            ]
        }
        self._send(400, {"message": "Invalid Form Body", "code": 50035, "errors": nest(f"{path}.max_value", error)})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_discord() -> Iterator[tuple[str, type[FakeDiscord]]]:
    handler = type("Handler", (FakeDiscord,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v10", handler
    finally:
        server.shutdown()
        server.server_close()


def run_sync(api: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import sys, discord.http; discord.http.Route.BASE = sys.argv[1]; "
        "import bot; sys.exit(bot.main(['sync', *sys.argv[2:]]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL", "DEV_GUILD_ID"}}
    env.update(
        DISCORD_TOKEN="fake.token.for-a-local-fake-discord", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}"
    )
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", script, api, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_refused_sync_is_one_line_naming_command_and_field(
    fake_discord: tuple[str, type[FakeDiscord]], tmp_path: Path
) -> None:
    """Discord's 400 becomes one line: the command, the option and the field it pointed at; exit code 1."""
    api, handler = fake_discord
    result = run_sync(api, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (payload,) = handler.received
    _, command, option = first_integer_option(payload)
    assert lines[0].startswith("lantern: Discord refused the commands (400, error 50035: Invalid Form Body)")
    assert f"{command}, option {option}, max_value: int value should be less than or equal to" in lines[0]
    assert result.stdout == ""


def test_a_sync_to_a_server_without_access_says_what_to_check(
    fake_discord: tuple[str, type[FakeDiscord]], tmp_path: Path
) -> None:
    """A guild sync Discord refuses with Missing Access says to check the invite, in one line."""
    api, handler = fake_discord
    handler.status = 403
    result = run_sync(api, tmp_path, "--guild", "1234")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Missing Access" in lines[0] and "applications.commands" in lines[0] and "1234" in lines[0]
