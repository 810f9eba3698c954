"""`python bot.py demo`: Lantern in a simulated server, served on loopback for a browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_the_preview_page_on_loopback() -> None:
    """The demo prints its address, serves an HTML page there, and stops cleanly on Ctrl-C."""
    port = free_port()
    env = {**os.environ, "DISCORD_TOKEN": "", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "bot.py", "demo", "--port", str(port), "--seconds", "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = []
        deadline = time.monotonic() + 90
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "open http://" in line:
                break
        url = next((line.split("open ", 1)[1].strip() for line in output if "open http://" in line), None)
        assert url is not None, "".join(output)
        assert url.startswith(f"http://127.0.0.1:{port}/")

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
            assert response.headers.get_content_type() == "text/html"
            page = response.read().decode()
        assert "<html" in page.lower()

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0, "".join(output) + rest
        assert "Lantern demo stopped." in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
