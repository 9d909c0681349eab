"""Figure files: one drawing style, deterministic SVG and PNG, captions into the registry.

A study's figure function draws from a table the analysis wrote and returns the figure
and its :class:`FigureText`; this module owns everything around it. Figures are sized
for a journal's single column, drawn with the Agg backend, and saved without dates or
software stamps and with a fixed SVG hash salt, so the bytes are stable.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manuscript_engine.core.atomic_files import atomic_output

WIDTH = 3.5
"""Inches: a journal's single column."""
PYPLOT_LOCK = threading.Lock()
"""pyplot keeps global state; where figure jobs share a process (a build without step
workers), one draws at a time."""
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "manuscript",
    "svg.fonttype": "path",
    "path.simplify": False,
}
"""The house style; a study's layout may change keys (FIGURE_STYLE), such as the salt."""


@dataclass(frozen=True)
class FigureText:
    caption: str
    alt: str


def pyplot(style: dict[str, Any] | None = None):
    """matplotlib's pyplot on the Agg backend, in the house style (and the study's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({**STYLE, **(style or {})})
    return plt


PNG_DPI = 300
"""Resolution of the PNG (the DOCX's pictures, the bundle's rasters) unless a journal
asks for more."""


TEXT_CONTRAST = 4.5
"""WCAG 2.1 AA: the least contrast of text with its background, 4.5:1 (1.4.3). WCAG's
number, not a study's cut-off (tests/test_vocabulary.py lists it as such)."""
GRAPHIC_CONTRAST = 3.0
"""WCAG 2.1 AA: the least contrast of a line, bar or mark one needs to read (1.4.11)."""


FLARE = 0.05
"""WCAG's allowance for the light a screen reflects, added to both luminances."""


def relative_luminance(colour) -> float:
    """WCAG's relative luminance of a matplotlib colour (a name, hex, or RGB tuple)."""
    from matplotlib.colors import to_rgb

    channels = [
        value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        for value in to_rgb(colour)
    ]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast_ratio(first, second) -> float:
    """WCAG's contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + FLARE) / (darker + FLARE)


def text_colour_on(background) -> str:
    """Black or white, whichever reads better on ``background`` (at least 4.5:1 always)."""
    return (
        "black"
        if contrast_ratio("black", background) >= contrast_ratio("white", background)
        else "white"
    )


def legible_on(colour, background="white", ratio: float = TEXT_CONTRAST) -> str:
    """``colour``, darkened just enough to reach ``ratio`` on ``background`` (as hex).

    A series colour chosen for bars may be too light for text (a title in the arm's
    colour); the same hue, darker, keeps the link between the two.
    """
    from matplotlib.colors import to_hex, to_rgb

    red, green, blue = to_rgb(colour)
    factor = 1.0
    while contrast_ratio((red * factor, green * factor, blue * factor), background) < ratio:
        factor -= 0.01
    return to_hex((red * factor, green * factor, blue * factor))


def save_figure(figure, svg: Path, png: Path, dpi: int = PNG_DPI) -> None:
    """Write SVG and PNG without timestamps or software stamps."""
    with atomic_output(svg) as partial:
        figure.savefig(partial, format="svg", metadata={"Date": None, "Creator": None})
    with atomic_output(png) as partial:
        figure.savefig(partial, format="png", dpi=dpi, metadata={"Software": None})


def make_figure(
    name: str,
    draw,
    *,
    table: Path,
    svg: Path,
    png: Path,
    numbers: Path,
    codebook: dict,
    style: dict[str, Any] | None = None,
    dpi: int = PNG_DPI,
) -> None:
    """Draw figure ``name`` with ``draw(data, codebook)`` from its table CSV; write SVG,
    PNG, and its caption and alt text as registry numbers (``figures.<name>.caption``)."""
    import pandas as pd

    from manuscript_engine.core.registry import Number, NumbersRegistry

    data = pd.read_csv(table, keep_default_na=False, na_values=[""])
    with PYPLOT_LOCK:
        plt = pyplot(style)
        figure, text = draw(data, codebook)
        save_figure(figure, Path(svg), Path(png), dpi)
        plt.close(figure)
    source = f"figure {name}"
    NumbersRegistry(
        [
            Number(f"figures.{name}.caption", text.caption, text.caption, "text", None, source),
            Number(f"figures.{name}.alt", text.alt, text.alt, "text", None, source),
        ]
    ).to_json(numbers)
