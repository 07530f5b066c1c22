"""Fitting the laws the course is about, with bootstrap confidence intervals.

* :func:`fit_power_law` fits ``y = a · x^(-b) + c`` — a power law with an irreducible term
  ``c`` — by least squares on ``log y`` (so every point counts by its *relative* error).
* :func:`fit_line` fits a straight line, e.g. to ``log10`` values (a pure power law) or to
  ``log2(compute)`` against the year (a doubling time).

Both return the point estimate and percentile bootstrap intervals. When every ``x`` value is
repeated (several seeds per training-set size, say) the bootstrap resamples the replicates
within each ``x``; otherwise it resamples residuals (power law) or points (line).

Two things a fit says about itself, so that no number is quietly wrong:

* ``n_boot=0`` (or a bootstrap whose replicates all fail) gives *no* interval: the ``ci``
  values are ``nan`` and the printed fit says "no interval".
* A power-law fit whose optimiser stopped on a bound (``c`` at 0 or at ``min(y)``, ``b`` at 10)
  lists those parameters in :attr:`PowerLawFit.at_bound` and says so when printed.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import kendalltau

from ._validate import bounded_int, finite_1d, flag, fraction, numbers, positive_float
from ._validate import seed as check_seed

#: the most bootstrap replicates a fit may ask for
MAX_BOOT = 100_000

#: Bounds of the exponent in :func:`fit_power_law` (with an irreducible term).
B_BOUNDS = (0.0, 10.0)
# a parameter within this fraction of its bound's range from the bound is "on the bound"
_BOUND_TOL = 1e-5
# smallest exponent accepted as a decay (the bound's tolerance): below it y is flat in practice
_MIN_B = _BOUND_TOL * (B_BOUNDS[1] - B_BOUNDS[0])


def _check_xy(x, y, *, min_points: int, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    x = finite_1d("x", x)
    y = finite_1d("y", y)
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
    if samples.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def _on_bounds(b: float, c: float, c_max: float) -> tuple[str, ...]:
    """Names of the parameters the bounded optimiser left on (or within tolerance of) a bound."""
    names = []
    b_lo, b_hi = B_BOUNDS
    tol_b = _BOUND_TOL * (b_hi - b_lo)
    if b <= b_lo + tol_b or b >= b_hi - tol_b:
        names.append("b")
    tol_c = _BOUND_TOL * c_max
    if c <= tol_c or c >= c_max - tol_c:
        names.append("c")
    return tuple(names)


@dataclass
class PowerLawFit:
    """A fitted ``y = a · x^(-b) + c`` with bootstrap intervals.

    Attributes
    ----------
    a, b, c:
        Point estimates; ``b`` is the exponent of the reducible part, ``c`` the irreducible term
        (0 when fitted without one).
    ci:
        ``{"a": (lo, hi), "b": (lo, hi), "c": (lo, hi)}`` at level ``level``; ``(nan, nan)``
        when there is no interval (``n_boot=0``, or every bootstrap fit failed).
    samples:
        Bootstrap replicates, one row per replicate, columns ``a, b, c`` (no rows when there is
        no interval).
    at_bound:
        Names of the parameters that the optimiser left on a bound: ``"c"`` at 0 (the data show
        no floor) or at ``min(y)`` (the curve has flattened onto its lowest point), ``"b"`` at
        10 (a cliff, not a power law). Empty for a fit without an irreducible term and for a
        fit that is inside its bounds. A parameter on a bound is *not identified* by the data:
        its point estimate is the bound, and its bootstrap interval is an artefact — the
        replicates pile up against the bound, so an interval such as ``c in [0, 0.003]`` says
        "the fit pushed c to 0", not "c is known to lie there". The other parameters are then
        estimated *given* the bound; read them with that caveat.
    c_max:
        The upper bound of ``c`` in the fit (``min(y)``; 0 without an irreducible term).
    """

    a: float
    b: float
    c: float
    ci: dict[str, tuple[float, float]]
    level: float
    samples: np.ndarray = field(repr=False)
    n_points: int = 0
    offset: bool = True
    at_bound: tuple[str, ...] = ()
    c_max: float = 0.0

    @property
    def has_interval(self) -> bool:
        """``False`` when the fit carries no bootstrap interval (``n_boot=0``)."""
        return len(self.samples) > 0 and bool(np.all(np.isfinite(self.ci["b"])))

    def predict(self, x) -> np.ndarray:
        """The fitted curve at ``x``: a positive number or an array of positive numbers."""
        numbers("x", x, positive=True, allow_zero=False, allow_empty=True)
        x = np.asarray(x, dtype=float)
        return self.a * x ** (-self.b) + self.c

    def band(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap interval of the fitted curve at ``x`` (``nan`` without one);
        ``x`` is a 1-D array of positive numbers."""
        _band_x("x", x, positive=True)
        x = np.asarray(x, dtype=float)
        s = self.samples
        if len(s) == 0:
            nan = np.full(x.shape, np.nan)
            return nan, nan.copy()
        curves = s[:, [0]] * x[None, :] ** (-s[:, [1]]) + s[:, [2]]
        lo, hi = np.percentile(curves, [50 * (1 - self.level), 50 * (1 + self.level)], axis=0)
        return lo, hi

    def _check_exponent(self, what: str) -> None:
        if not self.b > 0:
            raise ValueError(
                f"The fitted exponent is b = {self.b:.3g} <= 0: the reducible part does not "
                f"shrink as x grows, so {what} is meaningless."
            )
        if "b" in self.at_bound:
            raise ValueError(
                f"The fitted exponent b = {self.b:.3g} is at its bound {B_BOUNDS[1]:g}: the data "
                f"do not identify it (the curve drops like a cliff, then stays flat), so {what} "
                "is not a number the data support."
            )

    def halving_factor(self) -> float:
        """Factor by which x must grow to halve the reducible part ``a·x^-b``: ``2^(1/b)``.

        Returns ``inf`` when ``b`` is so small that the factor overflows a float. Raises a
        ``ValueError`` when ``b <= 0`` or ``b`` sits on its bound (the data do not identify it).
        """
        self._check_exponent("the halving factor")
        with np.errstate(over="ignore"):
            return float(np.power(2.0, 1.0 / self.b))

    def halving_factor_ci(self) -> tuple[float, float]:
        """The interval of :meth:`halving_factor` implied by the interval of ``b``, as ``(lo, hi)``.

        ``2^(1/b)`` falls as ``b`` grows, so the lower end comes from the upper end of ``b``.
        Where the interval of ``b`` reaches 0 or below, the data do not exclude an exponent
        at which the reducible part never halves: the upper end is then ``inf`` (and both ends
        are ``inf`` if the whole interval of ``b`` is <= 0). Without an interval it is
        ``(nan, nan)``. Raises like :meth:`halving_factor` when ``b`` is not identified.
        """
        self._check_exponent("the interval of the halving factor")
        lo, hi = (float(v) for v in self.ci["b"])
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return float("nan"), float("nan")
        lo, hi = min(lo, hi), max(lo, hi)
        with np.errstate(over="ignore"):
            upper = float("inf") if lo <= 0 else float(np.power(2.0, 1.0 / lo))
            lower = float("inf") if hi <= 0 else float(np.power(2.0, 1.0 / hi))
        return lower, upper

    def x_for(self, y_target: float) -> float:
        """The ``x`` at which the fitted curve reaches ``y_target``.

        Returns ``inf`` when ``y_target`` is at or below the fitted floor ``c``: the curve never
        gets there. If ``"c"`` is in :attr:`at_bound` the floor is not identified, and neither
        is the answer for targets near or below the lowest measured ``y``. Raises like
        :meth:`halving_factor` when ``b`` is not identified.
        """
        y_target = positive_float("y_target", y_target)
        self._check_exponent("the x at which the curve reaches a target")
        if y_target <= self.c:
            return float("inf")
        with np.errstate(over="ignore"):  # too large for a float: inf, as documented
            return float(np.power(np.float64((y_target - self.c) / self.a), -1 / self.b))

    def notes(self) -> list[str]:
        """Plain-language warnings about this fit (parameters on a bound); empty if none."""
        out = []
        for name in self.at_bound:
            if name == "c":
                value = 0.0 if self.c <= _BOUND_TOL * self.c_max else self.c_max
                where = "0" if value == 0 else f"min(y) = {value:.3g}"
                out.append(f"c is at its bound {where}: the floor is not identified "
                           "(its interval is an artefact of the bound)")
            else:
                out.append(f"b is at its bound {self.b:.3g}: the exponent is not identified "
                           "(its interval is an artefact of the bound)")
        return out

    def __str__(self) -> str:
        text = f"y = {self.a:.3g}·x^-{self.b:.3f}"
        if self.offset:
            text += f" + {self.c:.3g}"
        if self.has_interval:
            lo, hi = self.ci["b"]
            text += f"   (b in [{lo:.3f}, {hi:.3f}] at {self.level:.0%})"
        else:
            text += "   (no interval: no bootstrap replicates)"
        return text + "".join(f"\n  note: {n}" for n in self.notes())


def _band_x(name: str, x, *, positive: bool) -> None:
    numbers(name, x, positive=positive, allow_zero=False, allow_empty=True)
    if np.ndim(x) != 1:
        raise ValueError(f"{name} must be one-dimensional (the x values to draw the band at), "
                         f"got shape {np.shape(x)}.")


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
                    bounds=([-np.inf, B_BOUNDS[0], 0.0], [np.inf, B_BOUNDS[1], ymin]),
                    maxfev=20000,
                )
        except (RuntimeError, ValueError):
            continue
        sse = float(np.sum((model(np.log(x), *p) - ly) ** 2))
        if sse < best_sse:
            best, best_sse = p, sse
    if best is None:
        raise RuntimeError("The power-law fit did not converge; check that y decreases with x.")
    return np.array([np.exp(best[0]), best[1], best[2]])


def _require_decrease(x: np.ndarray, y: np.ndarray) -> None:
    """Refuse data whose overall trend is not downwards (Kendall's tau >= 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau = kendalltau(x, y).statistic
    if not tau < 0:
        trend = "y is constant" if np.ptp(y) == 0 else f"Kendall's tau of x and y is {tau:+.2f}"
        raise ValueError(
            f"y does not decrease with x ({trend}), so it is not a power-law decay "
            "y = a·x^-b + c with b > 0: its exponent and halving factor would be meaningless. "
            "Plot y against x first, and fit only a stretch over which y falls."
        )


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

    The law describes a *decay*: data that do not decrease with ``x`` (rising, flat, or with
    as many rising as falling pairs of points) are refused with a ``ValueError``, and so is a
    fit whose exponent comes out at or below ``1e-4`` (a curve flat in practice). A fit that stops on a bound of the optimiser
    (``c`` at 0 or at ``min(y)``, ``b`` at 10) is returned with those parameters named in
    ``at_bound`` and a note in its printed form; read their intervals as artefacts.

    Parameters
    ----------
    x, y:
        Positive values of the same length, e.g. training-set sizes and test errors. Repeated
        ``x`` values (several seeds) are welcome.
    offset:
        Fit the irreducible term ``0 <= c <= min(y)`` (needs at least 4 distinct x values);
        ``False`` fits a pure power law ``c = 0`` (at least 3).
    n_boot:
        Bootstrap replicates; 0 skips the intervals (``ci`` values are then ``nan``).
    level:
        Confidence level of the intervals.
    seed:
        Seed of the bootstrap.

    Examples
    --------
    >>> x = np.array([10, 20, 40, 80, 160, 320])
    >>> f = fit_power_law(x, 3 * x**-0.5 + 0.1, n_boot=50)
    >>> round(f.b, 3), round(f.c, 3), f.at_bound
    (0.5, 0.1, ())
    >>> fit_power_law(x, 3 * x**-0.5, n_boot=0).at_bound   # no floor in the data
    ('c',)
    """
    flag("offset", offset)
    need = 4 if offset else 3
    x, y = _check_xy(x, y, min_points=need, positive=True)
    if np.unique(x).size < need:
        raise ValueError(f"Need at least {need} distinct x values, got {np.unique(x).size}.")
    n_boot = bounded_int("n_boot", n_boot, minimum=0, maximum=MAX_BOOT)
    level = fraction("level", level)
    seed = check_seed("seed", seed)
    _require_decrease(x, y)
    params = _power_law_once(x, y, offset)
    c_max = float(y.min()) if offset else 0.0
    at_bound = _on_bounds(params[1], params[2], c_max) if offset else ()
    if not params[1] > _MIN_B:
        raise ValueError(
            f"The fitted exponent is b = {params[1]:.3g}, at or below {_MIN_B:g}: y does not "
            "fall as a power of x over this range, so a power law with b > 0 does not describe "
            "it. "
            "Plot y against x first, and fit only a stretch over which y falls."
        )
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
    samples_arr = np.array(samples) if samples else np.empty((0, 3))
    ci = {k: _interval(samples_arr[:, i], level) for i, k in enumerate("abc")}
    return PowerLawFit(
        a=float(params[0]), b=float(params[1]), c=float(params[2]), ci=ci, level=level,
        samples=samples_arr, n_points=int(x.size), offset=offset, at_bound=at_bound,
        c_max=c_max,
    )


@dataclass
class LineFit:
    """A fitted line ``y = slope · x + intercept`` with bootstrap intervals.

    ``ci`` values are ``nan`` when there is no interval (``n_boot=0``). The fit is computed
    around the mean of ``x`` (``x_centre``), which keeps the slope exact when ``x`` is large
    compared with its spread (years, or ``1e15 + k``); :meth:`predict` and :meth:`band` work
    from that centre too.
    """

    slope: float
    intercept: float
    r2: float
    ci: dict[str, tuple[float, float]]
    level: float
    samples: np.ndarray = field(repr=False)
    n_points: int = 0
    x_centre: float = 0.0
    y_at_centre: float | None = None
    centre_samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def has_interval(self) -> bool:
        """``False`` when the fit carries no bootstrap interval (``n_boot=0``)."""
        return len(self.samples) > 0 and bool(np.all(np.isfinite(self.ci["slope"])))

    def predict(self, x) -> np.ndarray:
        """The fitted line at ``x``: a finite number or an array of finite numbers."""
        numbers("x", x, allow_empty=True)
        x = np.asarray(x, dtype=float)
        if self.y_at_centre is None:
            return self.slope * x + self.intercept
        return self.y_at_centre + self.slope * (x - self.x_centre)

    def band(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap interval of the fitted line at ``x`` (``nan`` without one);
        ``x`` is a 1-D array of finite numbers."""
        _band_x("x", x, positive=False)
        x = np.asarray(x, dtype=float)
        if len(self.samples) == 0:
            nan = np.full(x.shape, np.nan)
            return nan, nan.copy()
        if self.centre_samples is None:
            lines = self.samples[:, [0]] * x[None, :] + self.samples[:, [1]]
        else:
            lines = self.centre_samples[:, None] + self.samples[:, [0]] * (x - self.x_centre)[None, :]
        lo, hi = np.percentile(lines, [50 * (1 - self.level), 50 * (1 + self.level)], axis=0)
        return lo, hi

    def __str__(self) -> str:
        sign = "-" if self.intercept < 0 else "+"
        text = f"y = {self.slope:.4g}·x {sign} {abs(self.intercept):.4g}   ("
        if self.has_interval:
            lo, hi = self.ci["slope"]
            text += f"slope in [{lo:.4g}, {hi:.4g}] at {self.level:.0%}"
        else:
            text += "no interval: no bootstrap replicates"
        return text + f", R² = {self.r2:.3f})"


def fit_line(x, y, *, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> LineFit:
    """Ordinary least-squares line with a percentile bootstrap (resampling points) for intervals.

    Fit ``log10`` values to get a power law's exponent as the slope, or ``log2(compute)``
    against the year to get the doubling time as ``1 / slope``. ``n_boot=0`` skips the
    intervals (``ci`` values are then ``nan``). ``r2`` is 1 when ``y`` is constant (the line
    fits it exactly).

    Examples
    --------
    >>> f = fit_line(1e15 + np.arange(5), 2 * np.arange(5.0) + 1, n_boot=0)
    >>> round(f.slope, 12), float(f.predict([1e15 + 10])[0])
    (2.0, 21.0)
    """
    x, y = _check_xy(x, y, min_points=3, positive=False)
    if np.unique(x).size < 2:
        raise ValueError("x must take at least two distinct values to fit a line.")
    n_boot = bounded_int("n_boot", n_boot, minimum=0, maximum=MAX_BOOT)
    level = fraction("level", level)
    seed = check_seed("seed", seed)
    centre = float(x.mean())
    dx = x - centre
    if np.unique(dx).size < 2:
        raise ValueError(
            "x takes distinct values that a float cannot tell apart once centred; "
            "rescale x before fitting."
        )
    slope, y_at_centre = np.polyfit(dx, y, 1)
    pred = slope * dx + y_at_centre
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - float(np.sum((y - pred) ** 2)) / ss_tot if ss_tot > 0 else 1.0
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_boot):
        idx = rng.integers(0, x.size, x.size)
        if np.unique(x[idx]).size < 2:
            continue
        samples.append(np.polyfit(dx[idx], y[idx], 1))
    centred = np.array(samples) if samples else np.empty((0, 2))
    # columns (slope, intercept at x = 0), as before; the level at the centre is kept apart
    samples_arr = np.column_stack([centred[:, 0], centred[:, 1] - centred[:, 0] * centre])
    ci = {
        "slope": _interval(samples_arr[:, 0], level),
        "intercept": _interval(samples_arr[:, 1], level),
    }
    return LineFit(
        float(slope), float(y_at_centre - slope * centre), r2, ci, level, samples_arr,
        int(x.size), x_centre=centre, y_at_centre=float(y_at_centre),
        centre_samples=centred[:, 1].copy(),
    )
