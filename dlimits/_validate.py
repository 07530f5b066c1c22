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


# --------------------------------------------------------------------------------------------
# Stricter checks: flags, seeds, sizes, finite tensors and arrays, modules, text
# --------------------------------------------------------------------------------------------

#: seeds are integers in [0, 2**32): what NumPy, scikit-learn and PyTorch all accept
SEED_LIMIT = 2**32
#: the most memory a helper may allocate for one array or model before it refuses (16 GiB)
MEMORY_LIMIT_BYTES = 16 * 2**30


def flag(name: str, value: Any) -> bool:
    """Return ``value`` as a ``bool`` if it is ``True`` or ``False`` (or a NumPy bool).

    Anything else — ``1``, ``None``, the string ``"False"`` (which Python reads as true) — is
    refused, so that a flag never means the opposite of what was typed.
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    hint = (f" (the string {value!r} is not a bool: write {value.strip().capitalize()} "
            "without quotes)" if isinstance(value, str)
            and value.strip().lower() in ("true", "false") else "")
    raise TypeError(f"{name} must be True or False, got {type(value).__name__} ({value!r}){hint}.")


def seed(name: str, value: Any, *, allow_none: bool = False) -> int | None:
    """Return ``value`` as an ``int`` if it is a seed: an integer in ``[0, 2**32)``.

    ``allow_none`` accepts ``None`` (where it means "do not seed").
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        what = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"{name} must be {what} such as 0, got {type(value).__name__} "
                        f"({value!r}).")
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be an integer in [0, 2**32), got {value}.")
    return int(value)


def bounded_int(name: str, value: Any, *, minimum: int = 1, maximum: int) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``."""
    value = positive_int(name, value, minimum=minimum)
    if value > maximum:
        raise ValueError(f"{name} = {value:,} is absurdly large: at most {maximum:,} makes sense "
                         "here.")
    return value


def bounded_float(name: str, value: Any, *, maximum: float, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is finite, > 0 (or >= 0) and at most ``maximum``."""
    value = positive_float(name, value, allow_zero=allow_zero)
    if value > maximum:
        raise ValueError(f"{name} = {value:g} is absurdly large: at most {maximum:g} makes sense "
                         "here.")
    return value


def memory(what: str, n_elements: int, *, itemsize: int = 4) -> None:
    """Refuse, before allocating, ``n_elements`` of ``itemsize`` bytes beyond the memory limit."""
    n_bytes = int(n_elements) * itemsize
    if n_bytes > MEMORY_LIMIT_BYTES:
        raise ValueError(f"{what} would need {n_bytes / 2**30:,.0f} GiB of memory, more than the "
                         f"{MEMORY_LIMIT_BYTES // 2**30} GiB this helper allows; choose smaller "
                         "sizes.")


def real_number(name: str, value: Any) -> float:
    """Return ``value`` as a finite ``float`` (any sign); bools, strings and NaN are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    return value


def text(name: str, value: Any, *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a string (non-blank unless ``allow_empty``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} ({value!r}).")
    if not allow_empty and not value.strip():
        raise ValueError(f"{name} must be a non-empty string.")
    return value


def numbers(name: str, value: Any, *, positive: bool = False, allow_zero: bool = True,
            allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float array (any shape, a scalar included) of finite real numbers.

    Bools, strings, ``None``, NaN and infinities are refused; ``positive`` requires every value
    to be > 0 (``>= 0`` with ``allow_zero``).
    """
    raw = np.asarray(value) if not isinstance(value, str) else None
    if raw is None or raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer)
                                                or np.issubdtype(raw.dtype, np.floating)):
        raise TypeError(f"{name} must be a number or an array of numbers, got "
                        f"{type(value).__name__} ({value!r}).")
    arr = np.asarray(value, dtype=float)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; give at least one value.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if positive:
        low = arr[arr < 0] if allow_zero else arr[arr <= 0]
        if low.size:
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{name} must be {bound}, got {low.flat[0]:g}.")
    return arr


def module(name: str, value: Any):
    """Return ``value`` if it is a ``torch.nn.Module``; raise a ``TypeError`` otherwise."""
    from torch import nn

    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}.")
    return value


def tensor(name: str, value: Any, *, min_ndim: int = 1, ndim: int | None = None,
           floating: bool = True, allow_empty: bool = False):
    """Return ``value`` if it is a tensor of the expected rank whose values are all finite.

    ``floating`` requires a floating-point dtype; otherwise an integer dtype is required (class
    labels). The check reads the tensor only; it is returned unchanged.
    """
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; convert it "
                        "with torch.as_tensor(...).")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}.")
    if value.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape "
                         f"{tuple(value.shape)}.")
    if value.numel() == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (shape {tuple(value.shape)}).")
    if floating:
        if not value.is_floating_point():
            raise TypeError(f"{name} must hold floating-point numbers, got dtype {value.dtype}; "
                            "convert it with .float().")
        if value.numel() and not bool(torch.isfinite(value.detach()).all()):
            raise ValueError(f"{name} contains NaN or infinite values.")
    elif value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers (class indices), got dtype {value.dtype}.")
    return value


def finite_weights(name: str, model: Any) -> None:
    """Refuse a module any of whose parameters holds NaN or an infinity (naming the first)."""
    import torch

    for pname, p in model.named_parameters():
        if p.is_floating_point() and not bool(torch.isfinite(p.detach()).all()):
            where = f"{name}.{pname}" if pname else name
            raise ValueError(f"{name} has NaN or infinite weights (in {where}); compressing them "
                             "gives meaningless results. Check the training run that made them.")


def device(name: str, value: Any):
    """Return ``value`` unchanged if it names a device PyTorch knows and this machine has."""
    import torch

    if not isinstance(value, str | torch.device):
        raise TypeError(f"{name} must be a device such as 'cpu' or 'cuda', got "
                        f"{type(value).__name__} ({value!r}).")
    try:
        kind = torch.device(value).type
    except RuntimeError:
        raise ValueError(f"{name} {value!r} is not a device; use 'cpu' or 'cuda'.") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} {value!r} is not available: this machine has no CUDA GPU; "
                         "use 'cpu'.")
    return value


def finite_1d(name: str, value: Any, *, min_length: int = 1) -> np.ndarray:
    """:func:`array_1d`, refusing first what is not numbers (strings, bools, ``None``)."""
    raw = np.asarray(value) if not isinstance(value, str) else None
    if raw is None or raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer)
                                                or np.issubdtype(raw.dtype, np.floating)):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__} "
                        f"({str(value)[:60]}).")
    return array_1d(name, value, min_length=min_length)
