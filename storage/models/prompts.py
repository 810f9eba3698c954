"""Tables of the prompts feature."""

from __future__ import annotations
