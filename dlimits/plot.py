"""One plot style for the whole course, and helpers for log–log figures with fitted laws.

Colours are the Okabe–Ito palette, distinguishable with the common forms of colour blindness.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ._validate import bounded_float, bounded_int, flag, text
from .fit import LineFit, PowerLawFit

#: the largest grid of panels and the largest figure side (inches) :func:`new_figure` makes
MAX_PANELS = 100
MAX_INCHES = 100.0

COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply the course's matplotlib style (call once at the top of a notebook)."""
    mpl.rcParams.update(STYLE)


def log_axes(ax: Axes, xlabel: str, ylabel: str, *, logx: bool = True, logy: bool = True) -> Axes:
    """Label ``ax`` and put it on logarithmic scales (power laws become straight lines)."""
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}.")
    text("xlabel", xlabel, allow_empty=True)
    text("ylabel", ylabel, allow_empty=True)
    logx, logy = flag("logx", logx), flag("logy", logy)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.25)
    return ax


def plot_fit(
    ax: Axes,
    fit: PowerLawFit | LineFit,
    x_range: tuple[float, float],
    *,
    color: str | None = None,
    label: str | None = None,
    band: bool = True,
    n: int = 200,
    log_spaced: bool = True,
    transform=None,
    **line_kw,
):
    """Draw a fitted law over ``x_range`` with its bootstrap interval as a shaded band.

    ``transform`` maps the fit's y values to the plotted ones, e.g. ``lambda y: 2 ** y`` to draw
    a line fitted to ``log2(compute)`` on a logarithmic compute axis. ``x_range`` is a pair of
    finite numbers, ``n`` (at least 2) the number of points drawn.
    """
    if transform is not None and not callable(transform):
        raise TypeError("transform must be a function of the fitted y values, e.g. lambda y: 2 ** y.")
    to_plot = transform if transform is not None else (lambda y: y)
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}.")
    if not isinstance(fit, PowerLawFit | LineFit):
        raise TypeError("fit must be a PowerLawFit or LineFit from dlimits.fit.")
    lo, hi = _x_range(x_range)
    if color is not None and not mpl.colors.is_color_like(color):
        raise ValueError(f"color must be a matplotlib colour such as 'C0' or '#0072B2', got "
                         f"{color!r}.")
    if label is not None:
        text("label", label, allow_empty=True)
    band, log_spaced = flag("band", band), flag("log_spaced", log_spaced)
    n = bounded_int("n", n, minimum=2, maximum=10**6)
    if not lo < hi:
        raise ValueError(f"x_range must be increasing, got {x_range}.")
    if log_spaced and lo <= 0:
        raise ValueError("A log-spaced x_range must be positive; pass log_spaced=False.")
    xs = np.geomspace(lo, hi, n) if log_spaced else np.linspace(lo, hi, n)
    (line,) = ax.plot(xs, to_plot(fit.predict(xs)), color=color, label=label, **line_kw)
    if band and len(fit.samples) > 1:
        b_lo, b_hi = fit.band(xs)
        ax.fill_between(xs, to_plot(b_lo), to_plot(b_hi), color=line.get_color(), alpha=0.18,
                        linewidth=0)
    return line


def _x_range(x_range) -> tuple[float, float]:
    """The two ends of ``x_range`` as floats, or an error saying what is wrong with it."""
    if isinstance(x_range, str) or not hasattr(x_range, "__len__") or len(x_range) != 2:
        raise TypeError(f"x_range must be a pair (low, high) of numbers, got {x_range!r}.")
    ends = []
    for value in (x_range[0], x_range[1]):
        if isinstance(value, bool | np.bool_ | str) or value is None:
            raise TypeError(f"x_range must be a pair (low, high) of numbers, got {x_range!r}.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"x_range must be a pair (low, high) of numbers, got {x_range!r}."
                            ) from None
        if not np.isfinite(value):
            raise ValueError(f"x_range must be finite, got {x_range!r}.")
        ends.append(value)
    return ends[0], ends[1]


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float | None = None, height: float | None = None):
    """``plt.subplots`` with the course's default size scaled to the grid.

    ``ncols`` and ``nrows`` are at most 100 panels together; ``width`` and ``height`` are in
    inches (at most 100), or ``None`` for the course's default size.
    """
    ncols = bounded_int("ncols", ncols, maximum=MAX_PANELS)
    nrows = bounded_int("nrows", nrows, maximum=MAX_PANELS)
    if ncols * nrows > MAX_PANELS:
        raise ValueError(f"ncols × nrows = {ncols * nrows:,} panels is absurdly many: at most "
                         f"{MAX_PANELS} make sense in one figure.")
    if width is not None:
        bounded_float("width", width, maximum=MAX_INCHES)
    if height is not None:
        bounded_float("height", height, maximum=MAX_INCHES)
    w = width if width is not None else 6.4 if ncols == 1 else min(3.6 * ncols, 11)
    h = height if height is not None else 4.0 if nrows == 1 else 3.2 * nrows
    return plt.subplots(nrows, ncols, figsize=(w, h), squeeze=False if nrows * ncols > 1 else True)
