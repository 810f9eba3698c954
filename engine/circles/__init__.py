"""Peer circles: groups of 3-6 members who share themes and heritages, within everyone's timezone
window, never with someone they blocked or were in a circle with before. Pure: no discord, no database.

`form_circles(instance, time_limit_s)` is synchronous; run it off the event loop. docs/circles.md has
the rules, the objective, the solver and its benchmark figures.
"""

from engine.circles.model import (
    MAX_SIZE,
    MIN_SIZE,
    REASON_TEXT,
    Circle,
    CircleInstance,
    CircleMember,
    CircleResult,
    LeftOut,
    LeftOutReason,
    Weights,
)
from engine.circles.solver import form_circles

__all__ = [
    "MAX_SIZE",
    "MIN_SIZE",
    "REASON_TEXT",
    "Circle",
    "CircleInstance",
    "CircleMember",
    "CircleResult",
    "LeftOut",
    "LeftOutReason",
    "Weights",
    "form_circles",
]
