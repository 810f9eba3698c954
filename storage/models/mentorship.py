"""Tables of the mentorship feature."""

from __future__ import annotations
