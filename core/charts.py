"""Charts as PNG bytes (matplotlib, Agg backend). No discord import: callers gather the numbers.

Privacy rule for every chart: a group with fewer than `min_group` (5) members or posts is never shown on
its own. `fold_small` folds such groups into "other"; if "other" is itself still smaller than the
threshold it is left out and the chart says how many were left out.

Rendering takes a few hundred milliseconds; call these from `asyncio.to_thread` in a handler.
Figures are built with `matplotlib.figure.Figure` (no pyplot global state), so that is thread-safe.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MIN_GROUP = 5
OTHER = "other"

# Discord-friendly dark theme with Lantern's lantern-gold accent.
BACKGROUND = "#2b2d31"
PANEL = "#313338"
TEXT = "#f2f3f5"
MUTED = "#b5bac1"
GRID = "#4e5058"
ACCENT = "#f4b942"
PALETTE = ("#f4b942", "#e8743d", "#5fb3a1", "#8ea7e9", "#d98bb5", "#a3c465", "#e0c36b")


@dataclass(frozen=True, slots=True)
class Folded:
    """Groups after the privacy fold: shown groups (largest first, "other" last) and what was left out."""

    groups: dict[str, list[int]]
    hidden_groups: int
    hidden_items: int


def fold_small(groups: Mapping[str, Sequence[int]], min_group: int = MIN_GROUP) -> Folded:
    """Fold every group with fewer than `min_group` items into "other"; drop "other" if still too small.

    Each group is a list of per-item values (for prompts: replies in each thread); its size is len(values).
    """
    shown: dict[str, list[int]] = {}
    other: list[int] = []
    folded = 0
    for name, values in groups.items():
        if name != OTHER and len(values) >= min_group:
            shown[name] = list(values)
        else:
            other.extend(values)
            folded += name != OTHER
    ordered = dict(sorted(shown.items(), key=lambda item: (-len(item[1]), item[0].casefold())))
    if other and len(other) >= min_group:
        ordered[OTHER] = other
        return Folded(ordered, 0, 0)
    return Folded(ordered, folded if other else 0, len(other))


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    return figure


def _style(ax: Axes) -> None:
    ax.set_facecolor(PANEL)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize=9)
    ax.grid(axis="x", color=GRID, linewidth=0.6, alpha=0.7)
    ax.set_axisbelow(True)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=figure.get_facecolor())
    return buffer.getvalue()


def _empty(figure: Figure, title: str, message: str) -> bytes:
    figure.text(0.5, 0.62, title, ha="center", va="center", color=TEXT, fontsize=13, fontweight="bold")
    figure.text(0.5, 0.42, message, ha="center", va="center", color=MUTED, fontsize=10, wrap=True)
    return _png(figure)


def engagement_chart(
    replies_by_group: Mapping[str, Sequence[int]],
    *,
    title: str = "Prompt engagement",
    subtitle: str = "",
    min_group: int = MIN_GROUP,
) -> bytes:
    """Average replies per prompt thread, one bar per group (theme), with thread and reply counts.

    `replies_by_group` maps a group label to the reply count of each of its threads.
    """
    folded = fold_small(replies_by_group, min_group)
    rows = list(folded.groups.items())
    height = 1.6 + 0.52 * max(len(rows), 2)
    figure = _figure(8.0, height)
    if not rows:
        note = (
            f"Not enough prompt threads yet: each theme needs at least {min_group} threads to be shown."
            if folded.hidden_items
            else "No prompt threads yet. Schedules with threads on (`/prompts schedule`) feed this chart."
        )
        return _empty(figure, title, note)

    ax = figure.add_axes((0.3, 0.16 + 0.3 / height, 0.42, 1 - (0.16 + 0.3 / height) - 0.95 / height))
    _style(ax)
    labels = [name for name, _ in rows][::-1]
    means = [sum(values) / len(values) for _, values in rows][::-1]
    colours = [GRID if name == OTHER else PALETTE[i % len(PALETTE)] for i, (name, _) in enumerate(rows)][::-1]
    bars = ax.barh(labels, means, color=colours, height=0.62)
    top = max(means) if max(means) > 0 else 1.0
    ax.set_xlim(0, top * 1.05)
    ax.set_xlabel("average replies per thread", color=MUTED, fontsize=9)
    for tick in ax.get_yticklabels():
        tick.set_color(TEXT)
        tick.set_fontsize(10)
    for bar, (_name, values) in zip(bars, rows[::-1], strict=True):
        mean = sum(values) / len(values)
        text = f"{mean:.1f}  ·  {len(values)} threads, {sum(values)} replies"
        ax.text(
            top * 1.07,
            bar.get_y() + bar.get_height() / 2,
            text,
            va="center",
            ha="left",
            color=MUTED,
            fontsize=8.5,
            clip_on=False,
        )
    figure.text(0.03, 1 - 0.35 / height, title, color=TEXT, fontsize=13, fontweight="bold", va="center")
    if subtitle:
        figure.text(0.03, 1 - 0.68 / height, subtitle, color=MUTED, fontsize=9, va="center")
    footer = f"Themes with fewer than {min_group} threads are combined into “other”."
    if folded.hidden_items:
        footer += f" {folded.hidden_items} threads in smaller themes are not shown."
    figure.text(0.03, 0.22 / height, footer, color=MUTED, fontsize=8, va="center")
    return _png(figure)


def _shown_count(value: int, min_group: int) -> str:
    return f"fewer than {min_group}" if 0 < value < min_group else f"{value:,}"


def funnel_chart(
    stages: list[tuple[str, int]],
    series_over_time: Mapping[str, Sequence[tuple[date | datetime | str, int]]] | None = None,
    *,
    title: str = "Funnel",
    subtitle: str = "",
    min_group: int = MIN_GROUP,
) -> bytes:
    """A funnel (one bar per stage, with the share of the first stage) and, optionally, the stages over time.

    Privacy: a stage with 1 to `min_group - 1` members is drawn as an empty outline and labelled
    "fewer than 5", never with its number; so is a point of `series_over_time` (plotted as a gap).
    `series_over_time` maps a series name to (when, count) points, for example weekly pairings.
    """
    has_series = bool(series_over_time and any(series_over_time.values()))
    funnel_height = 1.5 + 0.55 * max(len(stages), 2)
    height = funnel_height + (2.8 if has_series else 0)
    figure = _figure(8.0, height)
    if not stages:
        return _empty(figure, title, "Nothing to show yet.")

    bottom_of_funnel = (2.8 + 0.4) / height if has_series else 0.42 / height
    ax = figure.add_axes((0.24, bottom_of_funnel, 0.5, (funnel_height - 1.25) / height))
    _style(ax)
    ax.grid(False)
    ax.spines["bottom"].set_visible(False)
    ax.set_xticks([])
    labels = [name for name, _ in stages][::-1]
    values = [count for _, count in stages][::-1]
    widest = max(max(values), 1)
    first = stages[0][1]
    for i, (label, count) in enumerate(zip(labels, values, strict=True)):
        colour = PALETTE[(len(values) - 1 - i) % len(PALETTE)]
        hidden = 0 < count < min_group
        width = widest * 0.04 if hidden else count
        ax.barh(
            label,
            width,
            color="none" if hidden else colour,
            edgecolor=colour,
            hatch="//" if hidden else None,
            height=0.62,
            left=(widest - width) / 2,
        )
        text = _shown_count(count, min_group)
        if not hidden and first >= min_group and count != first:
            text += f"  ({count / first:.0%})"
        ax.text(widest * 1.03, i, text, va="center", ha="left", color=TEXT, fontsize=9.5, clip_on=False)
    ax.set_xlim(0, widest)
    for tick in ax.get_yticklabels():
        tick.set_color(TEXT)
        tick.set_fontsize(10)
    figure.text(0.03, 1 - 0.35 / height, title, color=TEXT, fontsize=13, fontweight="bold", va="center")
    if subtitle:
        figure.text(0.03, 1 - 0.68 / height, subtitle, color=MUTED, fontsize=9, va="center")

    if has_series and series_over_time is not None:
        line_ax = figure.add_axes((0.1, 0.8 / height, 0.64, 1.9 / height))
        _style(line_ax)
        line_ax.grid(axis="y", color=GRID, linewidth=0.6, alpha=0.7)
        for i, (name, points) in enumerate(series_over_time.items()):
            xs = [str(when.date() if isinstance(when, datetime) else when) for when, _ in points]
            ys = [math.nan if 0 < count < min_group else count for _, count in points]
            line_ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.8, color=PALETTE[i % len(PALETTE)], label=name)
        line_ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, labelcolor=TEXT, fontsize=8.5)
        line_ax.tick_params(axis="x", labelrotation=30)
        for tick in line_ax.get_xticklabels():
            tick.set_horizontalalignment("right")
        line_ax.set_ylim(bottom=0)
        figure.text(
            0.03,
            (2.8 + 0.1) / height,
            f"Over time (counts under {min_group} are left as gaps)",
            color=MUTED,
            fontsize=9,
            va="center",
        )
    return _png(figure)
