"""The command line's words: its grammar, logging set up once per process, the one-line failure, and the
hand-over to the demo. bot.py's `main()` does what the commands say; this module knows nothing of the bot."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from core.logcontext import ContextFilter

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(context)s]: %(message)s"


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S"))
    logging.basicConfig(level=level, handlers=[handler])
    logging.Formatter.converter = time.gmtime
    logging.getLogger("discord.http").setLevel(logging.WARNING)


def fail(message: str, code: int = 2) -> int:
    print(f"lantern: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """`lantern`'s commands and options. `demo`'s options are tools.demo's own (see `hand_over_to_demo`)."""
    parser = argparse.ArgumentParser(prog="lantern", description="Lantern, a community bot.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the bot (the default)")
    sync = sub.add_parser("sync", help="register the slash commands with Discord once")
    sync.add_argument("--guild", type=int, default=None, help="sync to one server only (instant)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    backup = sub.add_parser("backup", help="copy the live database (SQLite) or print the pg_dump line")
    backup.add_argument("path", nargs="?", type=Path, help="a file, or a folder (default: BACKUP_DIR or ./backups)")
    restore = sub.add_parser("restore", help="replace the database with a backup (refused while Lantern runs)")
    restore.add_argument("path", type=Path, help="the backup file")
    doctor = sub.add_parser("doctor", help="check settings, token, database, disk, backups and Discord")
    doctor.add_argument("--offline", action="store_true", help="skip the checks that ask Discord")
    sub.add_parser("demo", help="try Lantern without a token: a simulated server in your browser")
    return parser


def hand_over_to_demo(argv: Sequence[str]) -> NoReturn:
    """`lantern demo ARGS` becomes `python -m tools.demo ARGS` in this same process (same pid, so Ctrl-C
    reaches the demo). The product never imports tools/: the demo needs the development requirements
    (SimCord), and `./lantern demo` starts tools.demo directly."""
    root = str(Path(__file__).resolve().parent.parent)  # where tools/ sits beside core/
    path = os.pathsep.join(part for part in (root, os.environ.get("PYTHONPATH")) if part)
    os.execve(sys.executable, [sys.executable, "-m", "tools.demo", *argv], {**os.environ, "PYTHONPATH": path})
