"""`python -m tools.screenshots`: PNGs of the real bot, written by SimCord's preview in a system Chromium."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKEND
from tools.screenshots import find_chromium

ROOT = Path(__file__).resolve().parent.parent
CORE_SHOTS = ("intro-card.png", "intro-find.png", "welcome.png", "prompt.png", "prompt-thread.png", "setup-show.png")
OPTIONAL_SHOTS = (
    "mentor-proposal.png",
    "pair-thread.png",
    "resource-card.png",
    "resource-search.png",
    "prompt-stats.png",
    "prompt-anonymous.png",
    "circle-invite.png",
    "circle-thread.png",
    "calendar-occasion.png",
)

pytestmark = [
    pytest.mark.skipif(
        find_chromium() is None,
        reason="no Chromium: apt-get install chromium (or set LANTERN_CHROMIUM) to test the screenshots",
    ),
    pytest.mark.skipif(
        BACKEND != "sqlite",
        reason="the screenshots run on a SQLite database of their own: the SQLite run of the suite covers them",
    ),
]


def check_png(path: Path) -> None:
    """A real image: decodes, has a sensible size, and isn't one flat colour."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 300 and height >= 60, f"{path.name} is {width}x{height}"
        extrema = image.convert("RGB").getextrema()
        assert any(low != high for low, high in extrema), f"{path.name} is a single colour"
    assert path.stat().st_size > 5_000, f"{path.name} is only {path.stat().st_size} bytes"


def test_screenshots_are_written_and_are_real_images(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.screenshots", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: a journey was skipped (printed)
    for name in CORE_SHOTS:
        assert (tmp_path / name).exists(), f"{name} missing:\n{result.stdout}{result.stderr}"
        check_png(tmp_path / name)
    for name in OPTIONAL_SHOTS:
        if (tmp_path / name).exists():
            check_png(tmp_path / name)
        else:
            assert "skipped" in result.stdout, f"{name} neither written nor explained:\n{result.stdout}"
