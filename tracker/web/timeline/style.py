"""Colours, dashes, sizes and the vertical layout of the SVG timeline.

Everything that makes the drawing readable is a presentation attribute set from here, so the
SVG looks right with no stylesheet at all (a saved file, a PDF export); app.css only adds
hover emphasis and sizing on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

# Okabe-Ito, minus its yellow (unreadable on white); colour-blind safe in this order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# One dash pattern per series within a panel, so series never differ by colour alone.
DASHES = ("", "6 3", "2 2.5", "9 3 2 3")
HOME_DASH = "1 3"  # a series recorded at home: dotted, whatever its place in the panel
REGIMEN_FILLS = ("#e6eef5", "#f6f0e2")  # alternate periods: light blue-grey, light sand
INK = "#1b2630"
MUTED = "#55626e"
GRID = "#cfd8df"
GRID_YEAR = "#9fadb8"
FRAME = "#a9b6c0"
COURSE = "#6f7e8a"
WINDOW = "#E69F00"
NEXT = "#1d5c7a"
TREATMENT_FILL = "#ece3f2"  # other treatments: a light violet, apart from regimens and window
TREATMENT_LINE = "#6a4c93"
HALO = "#ffffff"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

# Panels in clinical reading order; unknown panel keys follow, sorted.
PANEL_ORDER = ("grip", "mrc", "rods", "disability", "wear_off")
PANEL_TITLES = {
    "grip": "Grip strength",
    "mrc": "MRC sum score",
    "rods": "RODS",
    "disability": "Disability",
    "wear_off": "Reported wear-off",
}
KIND_NAMES = {
    "trough": "trough (before infusion)",
    "peak": "peak (after infusion)",
    "plain": "not a peak or trough the evaluation used",
    "clinic": "clinic",
}

MIN_WIDTH = 480
LEFT = 52.0  # room for y tick labels like "100" or "12.5"
RIGHT_PAD = 16.0
TOP_PAD = 6.0
REGIMEN_ROW = 18.0
TREATMENT_ROW = 17.0  # one lane per other treatment
FLAG_ROW = 28.0  # "next 21 Mar" over "today", each written left of its line
HEADER_ROW = 22.0  # panel heading and its series legend
AXIS_ROW = 36.0  # month labels, then year labels
LEGEND_ROW = 18.0
DOSE_FONT = 10.0
PLOT_HEIGHT_FEW = 130.0
PLOT_HEIGHT_MANY = 112.0  # four or more panels: keep the whole figure on one screen


@dataclass(frozen=True)
class Layout:
    """Vertical positions of every row; x runs from left to right for all of them."""

    width: float
    left: float
    right: float
    regimen_top: float
    treatment_top: float  # the first other-treatment lane
    flag_top: float
    dose_bottom: float  # rotated dose labels stand on this line; course lines start here
    plots: tuple[tuple[float, float], ...]  # (top, bottom) of each panel's plot area
    axis_top: float
    legend_top: float
    height: float

    @property
    def plots_top(self) -> float:
        """Top of the first panel's header row."""
        return self.plots[0][0] - HEADER_ROW

    @property
    def plots_bottom(self) -> float:
        """Bottom of the last panel's plot area."""
        return self.plots[-1][1]


def make_layout(
    width: int,
    *,
    regimen_row: bool,
    dose_row: float,
    panels: int,
    legend_rows: int,
    treatment_rows: int = 0,
) -> Layout:
    """Stack the rows: regimens, other treatments, flags, doses, panels, axis, legend."""
    y = TOP_PAD
    regimen_top = y
    y += REGIMEN_ROW if regimen_row else 0.0
    treatment_top = y
    y += treatment_rows * TREATMENT_ROW
    flag_top = y
    y += FLAG_ROW + dose_row
    dose_bottom = y
    plot_height = PLOT_HEIGHT_FEW if panels <= 3 else PLOT_HEIGHT_MANY
    plots = []
    for _ in range(max(panels, 1)):
        y += HEADER_ROW
        plots.append((y, y + (plot_height if panels else 48.0)))
        y += plots[-1][1] - plots[-1][0]
    axis_top = y
    y += AXIS_ROW
    legend_top = y
    y += legend_rows * LEGEND_ROW + 4
    return Layout(
        float(width),
        LEFT,
        width - RIGHT_PAD,
        regimen_top,
        treatment_top,
        flag_top,
        dose_bottom,
        tuple(plots),
        axis_top,
        legend_top,
        y,
    )
