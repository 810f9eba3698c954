"""Tables of the intros feature."""

from __future__ import annotations
