"""What a training run costs: FLOPs → GPU-hours, dollars, energy and CO₂, now and after progress.

Chapters 1.1 and 1.2 teach this arithmetic line by line; the synthesis (chapter 4.2) calls it
from here so that every bill in it is made by the same tested code.

* :class:`Hardware` holds the stated assumptions (peak FLOP/s of one accelerator, the fraction
  of it sustained, the price of one accelerator-hour, its power, the data centre's PUE and the
  grid's carbon intensity), each checked.
* :func:`training_bill` turns training FLOPs (a number or an array, e.g. bootstrap replicates)
  into a :class:`Bill`.
* :func:`bill_after` applies an efficiency lever and given halving times of algorithmic and
  hardware cost to a bill, ``years`` from now; :func:`years_to_pay` says how many years of such
  progress pay for a ``k``-fold bill.
* :class:`ComputeOptimalLaw` is the two-term language-model law of Hoffmann et al. (2022),
  ``L(N, D) = E + A/N^alpha + B/D^beta`` with ``C ≈ 6ND``, with the compute-optimal split
  and the compute that reaches a target loss (a target at or below ``E`` is refused).
* :func:`extrapolate_line` finds where a fitted ``log10 y = slope · log10 x + intercept``
  reaches a target, for the central line and for every bootstrap replicate.

Defaults (:data:`A100`) are chapter 1.2's: NVIDIA's A100 datasheet gives 312 TFLOP/s dense
BF16 tensor-core peak and 400 W maximum power for the SXM module (``nvidia2020a100`` in the
course's bibliography); the utilisation (0.4), PUE (1.1), price ($2 per GPU-hour) and grid
intensity (0.4 kg CO₂e/kWh) are round illustrative assumptions, not measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ._validate import numbers

__all__ = ["A100", "Bill", "ComputeOptimalLaw", "Hardware", "bill_after", "extrapolate_line",
           "training_bill", "years_to_pay"]

#: Hernandez & Brown (2020): compute to reach a fixed ImageNet result halved every 16 months.
ALGORITHMIC_HALVING_YEARS = 16 / 12
#: Hobbhahn & Besiroglu (2022): GPU FLOP/s per dollar doubled about every 2.5 years.
HARDWARE_HALVING_YEARS = 2.5


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {type(value).__name__} ({value!r}).")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} is NaN; give a number.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    return value


def _positive(name: str, value) -> float:
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}.")
    return value


def _checked_numbers(name: str, value, what: str, *, allow_inf: bool = False) -> None:
    """Refuse what is not a finite number or a non-empty array of them, before any arithmetic.

    NaN keeps its own message (``"... contains NaN"``); a bool, a string, ``None``, an empty
    array or an infinity is refused here — except, with ``allow_inf``, an infinity inside an
    array (the open end of an interval); a single number must be finite all the same.
    """
    if value is None or isinstance(value, str | bool | np.bool_):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} ({value!r}).")
    raw = np.asarray(value)
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer)
                                 or np.issubdtype(raw.dtype, np.floating)):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} with dtype "
                        f"{raw.dtype}.")
    if raw.size == 0:
        raise ValueError(f"{name} is empty; give {what}.")
    if (not allow_inf or raw.ndim == 0) and np.any(np.isinf(raw)):
        raise ValueError(f"{name} must be finite, got an infinite value; give {what}.")


def _flops(name: str, value, *, allow_inf: bool = False) -> np.ndarray | float:
    _checked_numbers(name, value, "a number of FLOPs or an array of them", allow_inf=allow_inf)
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN; give a number of FLOPs.")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0 FLOPs, got {arr.min():g}.")
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True)
class Hardware:
    """Assumptions that turn FLOPs into time, money, energy and emissions (see the module).

    ``kw_per_gpu`` is the average draw of one accelerator while it trains (with its share of
    the server, if known); ``pue`` (>= 1) adds cooling and other overheads of the data centre.
    """

    peak_flop_per_s: float = 312e12
    utilisation: float = 0.4
    usd_per_gpu_hour: float = 2.0
    kw_per_gpu: float = 0.4
    pue: float = 1.1
    kg_co2e_per_kwh: float = 0.4

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _number(f.name, getattr(self, f.name))
            if f.name == "kg_co2e_per_kwh":
                if value < 0:
                    raise ValueError(f"kg_co2e_per_kwh must be >= 0, got {value}.")
            elif value <= 0:
                raise ValueError(f"{f.name} must be > 0, got {value}.")
            object.__setattr__(self, f.name, value)
        if self.utilisation > 1:
            raise ValueError(
                f"utilisation is the fraction of peak sustained, at most 1; got {self.utilisation}.")
        if self.pue < 1:
            raise ValueError(f"pue (power usage effectiveness) is at least 1; got {self.pue}.")


#: Chapter 1.2's A100 assumptions (see the module docstring for their sources).
A100 = Hardware()


@dataclass(frozen=True)
class Bill:
    """One training run's bill; each field is a float, or an array when FLOPs were an array."""

    flop: np.ndarray | float
    gpu_hours: np.ndarray | float
    usd: np.ndarray | float
    mwh: np.ndarray | float
    tco2e: np.ndarray | float

    def as_dict(self) -> dict[str, np.ndarray | float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def training_bill(flop, hardware: Hardware = A100) -> Bill:
    """GPU-hours, US dollars, MWh and tonnes CO₂e of ``flop`` training FLOPs on ``hardware``.

    ``flop`` is a finite number >= 0 or a non-empty array of them. Inside an array ``inf`` is
    accepted and gives an infinite bill: it is how the open upper end of an interval (a
    bootstrap replicate of a trend that never reaches its target, see :func:`extrapolate_line`)
    arrives here, and chapter 4.2 reports it as "no finite bill". A single infinite number,
    NaN, negative numbers, bools, strings and empty arrays are refused.

    >>> b = training_bill(312e12 * 0.4 * 3600)      # one A100-hour of work at 40 % of peak
    >>> round(b.gpu_hours, 6), round(b.usd, 6), round(b.mwh * 1000, 6)
    (1.0, 2.0, 0.44)
    """
    if not isinstance(hardware, Hardware):
        raise ValueError(f"hardware must be a dlimits.bill.Hardware, got {type(hardware).__name__}.")
    flop = _flops("flop", flop, allow_inf=True)
    gpu_hours = flop / (hardware.peak_flop_per_s * hardware.utilisation) / 3600
    mwh = gpu_hours * hardware.kw_per_gpu * hardware.pue / 1000
    return Bill(flop=flop, gpu_hours=gpu_hours, usd=gpu_hours * hardware.usd_per_gpu_hour,
                mwh=mwh, tco2e=mwh * hardware.kg_co2e_per_kwh)   # MWh x kg/kWh = tonnes


def _progress(years, algorithmic_halving_years, hardware_halving_years, efficiency):
    _checked_numbers("years", years, "a number of years or an array of them")
    years = np.asarray(years, dtype=float)
    if np.any(np.isnan(years)) or np.any(years < 0):
        raise ValueError("years must be >= 0 (and not NaN): progress is counted from today.")
    alg = _positive("algorithmic_halving_years", algorithmic_halving_years)
    hw = _positive("hardware_halving_years", hardware_halving_years)
    efficiency = _positive("efficiency", efficiency)
    return years, alg, hw, efficiency


def bill_after(bill: Bill, years, *, algorithmic_halving_years: float = ALGORITHMIC_HALVING_YEARS,
               hardware_halving_years: float = HARDWARE_HALVING_YEARS,
               efficiency: float = 1.0) -> Bill:
    """The same result's bill ``years`` from now, with an efficiency lever applied today.

    ``efficiency`` divides the FLOPs needed (a 10× training-efficiency technique is 10); better
    algorithms divide them further by ``2^(years / algorithmic_halving_years)``. Cheaper
    hardware divides the dollars per FLOP by ``2^(years / hardware_halving_years)``. GPU-hours,
    energy and emissions follow the FLOPs only (today's GPU, today's energy per FLOP): the
    hardware trend is one of FLOP/s per dollar, not per watt. ``years`` (finite, >= 0) may be
    an array; the bill's fields are then broadcast over it.
    """
    if not isinstance(bill, Bill):
        raise ValueError(f"bill must be a dlimits.bill.Bill, got {type(bill).__name__}.")
    years, alg, hw, efficiency = _progress(years, algorithmic_halving_years,
                                           hardware_halving_years, efficiency)
    flop_factor = 1 / (efficiency * 2.0 ** (years / alg))
    price_factor = 2.0 ** (-years / hw)
    return Bill(flop=bill.flop * flop_factor, gpu_hours=bill.gpu_hours * flop_factor,
                usd=bill.usd * flop_factor * price_factor, mwh=bill.mwh * flop_factor,
                tco2e=bill.tco2e * flop_factor)


def years_to_pay(factor, *, algorithmic_halving_years: float = ALGORITHMIC_HALVING_YEARS,
                 hardware_halving_years: float = HARDWARE_HALVING_YEARS,
                 efficiency: float = 1.0):
    """Years of progress until a bill ``factor`` times today's costs what today's does.

    ``log2(factor / efficiency) / (1/algorithmic + 1/hardware)``; 0 when the lever alone pays
    for it (``efficiency >= factor``).

    >>> round(float(years_to_pay(2 ** 3, algorithmic_halving_years=2, hardware_halving_years=2)), 6)
    3.0
    """
    _, alg, hw, efficiency = _progress(0.0, algorithmic_halving_years, hardware_halving_years,
                                       efficiency)
    _checked_numbers("factor", factor, "a ratio of two bills (a number > 0) or an array of them")
    factor = np.asarray(factor, dtype=float)
    if np.any(np.isnan(factor)) or np.any(factor <= 0):
        raise ValueError("factor must be > 0 (and not NaN): it is a ratio of two bills.")
    years = np.log2(factor / efficiency) / (1 / alg + 1 / hw)
    return np.maximum(years, 0.0)


@dataclass(frozen=True)
class ComputeOptimalLaw:
    """``L(N, D) = E + A/N^alpha + B/D^beta`` with training compute ``C = 6 N D``.

    At fixed ``C`` the loss is smallest at ``N_opt = G (C/6)^(beta/(alpha+beta))`` with
    ``G = (alpha A / (beta B))^(1/(alpha+beta))`` and ``D_opt = C / (6 N_opt)`` (Hoffmann et
    al. 2022); there both reducible terms fall as ``C^-gamma``, ``gamma = alpha beta /
    (alpha + beta)``, so the compute that reaches a target loss has a closed form.
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _positive(f.name, getattr(self, f.name)))

    @property
    def gamma(self) -> float:
        return self.alpha * self.beta / (self.alpha + self.beta)

    def optimal(self, compute) -> tuple[np.ndarray | float, np.ndarray | float]:
        """``(N_opt, D_opt)``: parameters and tokens that minimise the loss at ``compute``."""
        c = _flops("compute", compute)
        if np.any(np.asarray(c) == 0):
            raise ValueError("compute must be > 0 FLOPs.")
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta))
        n = g * (c / 6) ** (self.beta / (self.alpha + self.beta))
        return n, c / (6 * n)

    def loss(self, n, d):
        """The law's loss at ``n`` parameters and ``d`` tokens (positive, finite numbers or
        arrays of them)."""
        numbers("n", n, positive=True, allow_zero=False)
        numbers("d", d, positive=True, allow_zero=False)
        return self.E + self.A / np.asarray(n, float) ** self.alpha \
            + self.B / np.asarray(d, float) ** self.beta

    def optimal_loss(self, compute):
        """The smallest loss ``compute`` FLOPs can buy."""
        return self.loss(*self.optimal(compute))

    def compute_for_loss(self, target: float) -> float:
        """Training FLOPs at which the compute-optimal loss reaches ``target``.

        Raises a ``ValueError`` when ``target <= E``: no compute goes below the irreducible loss.
        """
        target = _positive("target loss", target)
        if target <= self.E:
            raise ValueError(
                f"a loss of {target:g} is unreachable: it is at or below this law's irreducible "
                f"loss E = {self.E:g}, which no amount of compute removes. Choose a target above E.")
        reducible_at_1 = self.optimal_loss(1.0) - self.E
        return float((reducible_at_1 / (target - self.E)) ** (1 / self.gamma))


def extrapolate_line(fit, y_target: float) -> tuple[float, np.ndarray]:
    """Where a fitted ``log10 y = slope · log10 x + intercept`` reaches ``y_target``.

    ``fit`` is a :class:`dlimits.fit.LineFit` of ``log10`` values; returns ``(log10 x, samples)``
    for the central line and every bootstrap replicate (``inf`` for a replicate that does not
    fall). Raises a ``ValueError`` for a target <= 0 or a central line that does not fall.
    """
    from .fit import LineFit

    if not isinstance(fit, LineFit):
        raise TypeError(f"fit must be a dlimits.fit.LineFit of log10 values (from fit_line), got "
                        f"{type(fit).__name__}.")
    y_target = _positive("target", y_target)
    if not fit.slope < 0:
        raise ValueError(f"the fitted line does not fall (slope {fit.slope:.3g}), so it never "
                         "reaches a lower target.")
    log_y = math.log10(y_target)
    central = (log_y - fit.intercept) / fit.slope
    slopes, intercepts = fit.samples[:, 0], fit.samples[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        samples = np.where(slopes < 0, (log_y - intercepts) / slopes, np.inf)
    return float(central), samples
