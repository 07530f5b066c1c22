"""Fitting the laws the course is about, with bootstrap confidence intervals.

* :func:`fit_power_law` fits ``y = a · x^(-b) + c`` — a power law with an irreducible term
  ``c`` — by least squares on ``log y`` (so every point counts by its *relative* error).
* :func:`fit_line` fits a straight line, e.g. to ``log10`` values (a pure power law) or to
  ``log2(compute)`` against the year (a doubling time).

Both return the point estimate and percentile bootstrap intervals. When every ``x`` value is
repeated (several seeds per training-set size, say) the bootstrap resamples the replicates
within each ``x``; otherwise it resamples residuals.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit

from ._validate import array_1d, fraction, positive_float, positive_int


def _check_xy(x, y, *, min_points: int, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    x = array_1d("x", x)
    y = array_1d("y", y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}.")
    if x.size < min_points:
        raise ValueError(f"Need at least {min_points} points for this fit, got {x.size}.")
    if positive:
        for name, arr in (("x", x), ("y", y)):
            if np.any(arr <= 0):
                bad = arr[arr <= 0][0]
                raise ValueError(
                    f"A power-law fit works on logarithms, so every {name} must be > 0; "
                    f"found {name}={bad:g}."
                )
    return x, y


def _resample_indices(x: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Stratified indices (resample within each unique x) when every x is replicated."""
    uniq, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    if np.all(counts >= 2):
        idx = [rng.choice(np.flatnonzero(inverse == k), size=c) for k, c in enumerate(counts)]
        return np.concatenate(idx)
    return None


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


@dataclass
class PowerLawFit:
    """A fitted ``y = a · x^(-b) + c`` with bootstrap intervals.

    Attributes
    ----------
    a, b, c:
        Point estimates; ``b`` is the exponent of the reducible part, ``c`` the irreducible term
        (0 when fitted without one).
    ci:
        ``{"a": (lo, hi), "b": (lo, hi), "c": (lo, hi)}`` at level ``level``.
    samples:
        Bootstrap replicates, one row per replicate, columns ``a, b, c``.
    """

    a: float
    b: float
    c: float
    ci: dict[str, tuple[float, float]]
    level: float
    samples: np.ndarray = field(repr=False)
    n_points: int = 0
    offset: bool = True

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.a * x ** (-self.b) + self.c

    def band(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap interval of the fitted curve at ``x``."""
        x = np.asarray(x, dtype=float)
        s = self.samples
        curves = s[:, [0]] * x[None, :] ** (-s[:, [1]]) + s[:, [2]]
        lo, hi = np.percentile(curves, [50 * (1 - self.level), 50 * (1 + self.level)], axis=0)
        return lo, hi

    def halving_factor(self) -> float:
        """Factor by which x must grow to halve the reducible part ``a·x^-b``: ``2^(1/b)``."""
        return float(2 ** (1 / self.b))

    def halving_factor_ci(self) -> tuple[float, float]:
        lo, hi = self.ci["b"]
        return float(2 ** (1 / hi)), float(2 ** (1 / lo))

    def x_for(self, y_target: float) -> float:
        """The ``x`` at which the fitted curve reaches ``y_target`` (``inf`` if at or below ``c``)."""
        y_target = positive_float("y_target", y_target)
        if y_target <= self.c:
            return float("inf")
        return float(((y_target - self.c) / self.a) ** (-1 / self.b))

    def __str__(self) -> str:
        lo, hi = self.ci["b"]
        text = f"y = {self.a:.3g}·x^-{self.b:.3f}"
        if self.offset:
            text += f" + {self.c:.3g}"
        return text + f"   (b in [{lo:.3f}, {hi:.3f}] at {self.level:.0%})"


def _power_law_once(
    x: np.ndarray, y: np.ndarray, offset: bool, start: np.ndarray | None = None
) -> np.ndarray:
    """Least-squares fit in log space; returns (a, b, c).

    Without ``start`` several starting points are tried; with one (the bootstrap passes the
    full-data estimate) only that start is used, which is much faster.
    """
    ly = np.log(y)
    slope, intercept = np.polyfit(np.log(x), ly, 1)
    b0 = max(-slope, 1e-3)
    if not offset:
        return np.array([np.exp(intercept), -slope, 0.0])
    ymin = float(y.min())

    def model(lx, la, b, c):
        return np.log(np.exp(la - b * lx) + c)

    if start is not None:
        starts = [(np.log(start[0]), min(max(start[1], 1e-3), 9.9), min(start[2], 0.99 * ymin))]
    else:
        starts = []
        for frac in (0.0, 0.5, 0.9):
            c0 = frac * ymin
            # start a from the fit of the reducible part at the smallest x
            la0 = np.log(max(y[np.argmin(x)] - c0, 1e-12)) + b0 * np.log(x.min())
            starts.append((la0, b0, c0))
    best, best_sse = None, np.inf
    for la0, b0, c0 in starts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p, _ = curve_fit(
                    model, np.log(x), ly, p0=[la0, b0, c0],
                    bounds=([-np.inf, 0.0, 0.0], [np.inf, 10.0, ymin]), maxfev=20000,
                )
        except (RuntimeError, ValueError):
            continue
        sse = float(np.sum((model(np.log(x), *p) - ly) ** 2))
        if sse < best_sse:
            best, best_sse = p, sse
    if best is None:
        raise RuntimeError("The power-law fit did not converge; check that y decreases with x.")
    return np.array([np.exp(best[0]), best[1], best[2]])


def fit_power_law(
    x,
    y,
    *,
    offset: bool = True,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> PowerLawFit:
    """Fit ``y = a · x^(-b) + c`` with percentile bootstrap intervals.

    Parameters
    ----------
    x, y:
        Positive values of the same length, e.g. training-set sizes and test errors. Repeated
        ``x`` values (several seeds) are welcome.
    offset:
        Fit the irreducible term ``c >= 0`` (needs at least 4 distinct x values); ``False`` fits
        a pure power law ``c = 0`` (at least 3).
    n_boot:
        Bootstrap replicates (0 skips the intervals).
    level:
        Confidence level of the intervals.
    seed:
        Seed of the bootstrap.

    Examples
    --------
    >>> x = np.array([10, 20, 40, 80, 160, 320])
    >>> f = fit_power_law(x, 3 * x**-0.5 + 0.1, n_boot=50)
    >>> round(f.b, 3), round(f.c, 3)
    (0.5, 0.1)
    """
    need = 4 if offset else 3
    x, y = _check_xy(x, y, min_points=need, positive=True)
    if np.unique(x).size < need:
        raise ValueError(f"Need at least {need} distinct x values, got {np.unique(x).size}.")
    n_boot = positive_int("n_boot", n_boot, minimum=0)
    level = fraction("level", level)
    params = _power_law_once(x, y, offset)
    rng = np.random.default_rng(seed)
    resid = np.log(y) - np.log(params[0] * x ** (-params[1]) + params[2])
    samples, failures = [], 0
    for _ in range(n_boot):
        idx = _resample_indices(x, rng)
        if idx is not None:
            xb, yb = x[idx], y[idx]
        else:
            xb = x
            yb = (params[0] * x ** (-params[1]) + params[2]) * np.exp(rng.choice(resid, size=resid.size))
        try:
            samples.append(_power_law_once(xb, yb, offset, start=params))
        except RuntimeError:
            failures += 1
    if n_boot and failures > 0.2 * n_boot:
        warnings.warn(f"{failures} of {n_boot} bootstrap fits failed; the intervals are unreliable.", stacklevel=2)
    samples_arr = np.array(samples) if samples else np.tile(params, (1, 1))
    ci = {k: _interval(samples_arr[:, i], level) for i, k in enumerate("abc")}
    return PowerLawFit(
        a=float(params[0]), b=float(params[1]), c=float(params[2]), ci=ci, level=level,
        samples=samples_arr, n_points=int(x.size), offset=offset,
    )


@dataclass
class LineFit:
    """A fitted line ``y = slope · x + intercept`` with bootstrap intervals."""

    slope: float
    intercept: float
    r2: float
    ci: dict[str, tuple[float, float]]
    level: float
    samples: np.ndarray = field(repr=False)
    n_points: int = 0

    def predict(self, x) -> np.ndarray:
        return self.slope * np.asarray(x, dtype=float) + self.intercept

    def band(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap interval of the fitted line at ``x``."""
        x = np.asarray(x, dtype=float)
        lines = self.samples[:, [0]] * x[None, :] + self.samples[:, [1]]
        lo, hi = np.percentile(lines, [50 * (1 - self.level), 50 * (1 + self.level)], axis=0)
        return lo, hi

    def __str__(self) -> str:
        lo, hi = self.ci["slope"]
        return (
            f"y = {self.slope:.4g}·x + {self.intercept:.4g}   "
            f"(slope in [{lo:.4g}, {hi:.4g}] at {self.level:.0%}, R² = {self.r2:.3f})"
        )


def fit_line(x, y, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> LineFit:
    """Ordinary least-squares line with a percentile bootstrap (resampling points) for intervals.

    Fit ``log10`` values to get a power law's exponent as the slope, or ``log2(compute)``
    against the year to get the doubling time as ``1 / slope``.
    """
    x, y = _check_xy(x, y, min_points=3, positive=False)
    if np.unique(x).size < 2:
        raise ValueError("x must take at least two distinct values to fit a line.")
    n_boot = positive_int("n_boot", n_boot, minimum=0)
    level = fraction("level", level)
    slope, intercept = np.polyfit(x, y, 1)
    pred = slope * x + intercept
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - float(np.sum((y - pred) ** 2)) / ss_tot if ss_tot > 0 else 1.0
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_boot):
        idx = rng.integers(0, x.size, x.size)
        if np.unique(x[idx]).size < 2:
            continue
        samples.append(np.polyfit(x[idx], y[idx], 1))
    samples_arr = np.array(samples) if samples else np.array([[slope, intercept]])
    ci = {
        "slope": _interval(samples_arr[:, 0], level),
        "intercept": _interval(samples_arr[:, 1], level),
    }
    return LineFit(float(slope), float(intercept), r2, ci, level, samples_arr, int(x.size))
