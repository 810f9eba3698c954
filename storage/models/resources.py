"""Tables of the resources feature."""

from __future__ import annotations
