"""Argument checks shared by the course package.

Every public function of :mod:`dlimits` validates what it is given and raises an error that
says what was wrong and how to fix it. These helpers keep those messages consistent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r}).")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite number > 0 (or >= 0); raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}.")
    return value


def fraction(name: str, value: Any, *, open_interval: bool = True) -> float:
    """Return ``value`` as a float strictly between 0 and 1 (or in [0, 1])."""
    value = positive_float(name, value, allow_zero=not open_interval)
    if value > 1 or (open_interval and value >= 1):
        bound = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ValueError(f"{name} must be {bound}, got {value}.")
    return value


def one_of(name: str, value: Any, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options``; raise a ``ValueError`` listing them."""
    options = list(options)
    if value not in options:
        raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(map(repr, options))}.")
    return value


def array_1d(name: str, value: Any, *, min_length: int = 1) -> np.ndarray:
    """Return ``value`` as a finite 1-D float array of at least ``min_length`` entries."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    if arr.size < min_length:
        raise ValueError(f"{name} needs at least {min_length} values, got {arr.size}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr
