"""Measuring what a model costs: parameters, FLOPs, size on disk, latency.

FLOPs are *counted* by :class:`torch.utils.flop_counter.FlopCounterMode`, which records the
floating-point operations of matrix multiplications and convolutions (a multiply–add counts as
2 FLOPs); element-wise operations such as activations, biases and optimiser updates are not
counted, matching the convention of the scaling-law literature.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from ._validate import positive_float, positive_int


def _check_module(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return model


def _as_tuple(inputs: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    if isinstance(inputs, torch.Tensor):
        return (inputs,)
    if isinstance(inputs, Sequence) and inputs and all(isinstance(t, torch.Tensor) for t in inputs):
        return tuple(inputs)
    raise TypeError("inputs must be a tensor or a non-empty sequence of tensors.")


def count_parameters(model: nn.Module, *, trainable_only: bool = False, nonzero: bool = False) -> int:
    """Number of parameters of ``model``.

    ``trainable_only`` skips frozen parameters; ``nonzero`` counts only non-zero entries (what is
    left after pruning).
    """
    model = _check_module(model)
    total = 0
    for p in model.parameters():
        if trainable_only and not p.requires_grad:
            continue
        total += int(torch.count_nonzero(p)) if nonzero else p.numel()
    return total


def count_flops(
    model: nn.Module | Callable,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    backward: bool = False,
) -> int:
    """Count the FLOPs of one forward pass (and the backward pass if ``backward``).

    The count is exact for the operations :class:`~torch.utils.flop_counter.FlopCounterMode`
    knows (matrix products, convolutions, attention); a multiply–add counts as 2 FLOPs.

    Examples
    --------
    >>> count_flops(torch.nn.Linear(10, 5), torch.zeros(3, 10))   # 2 · 3 · 10 · 5
    300
    """
    if not callable(model):
        raise TypeError(f"model must be a module or callable, got {type(model).__name__}.")
    args = _as_tuple(inputs)
    with FlopCounterMode(display=False) as counter:
        out = model(*args)
        if backward:
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                raise ValueError("backward=True needs a model whose output requires a gradient.")
            out.sum().backward()
    return int(counter.get_total_flops())


def size_on_disk(model: nn.Module | dict) -> int:
    """Bytes taken by ``torch.save`` of the model's ``state_dict`` (or of a given state dict)."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    if not isinstance(state, dict):
        raise TypeError("size_on_disk needs an nn.Module or a state dict.")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


@dataclass(frozen=True)
class Latency:
    """Result of :func:`latency`: seconds per call."""

    median: float
    iqr: float
    threads: int
    runs: int

    def __str__(self) -> str:
        return f"{self.median * 1e3:.3f} ms (IQR {self.iqr * 1e3:.3f} ms, {self.threads} thread(s))"


def latency(
    model: nn.Module | Callable,
    inputs: torch.Tensor | Sequence[torch.Tensor],
    *,
    threads: int | None = None,
    min_run_time: float = 0.2,
) -> Latency:
    """Time ``model(*inputs)`` with :mod:`torch.utils.benchmark` (warm-up, repeats, threads).

    Runs under ``torch.inference_mode``. Timings depend on the machine: notebooks show them
    but check only ratios, with tolerances.
    """
    if not callable(model):
        raise TypeError(f"model must be a module or callable, got {type(model).__name__}.")
    args = _as_tuple(inputs)
    threads = torch.get_num_threads() if threads is None else positive_int("threads", threads)
    min_run_time = positive_float("min_run_time", min_run_time)

    def call(*a):
        with torch.inference_mode():
            return model(*a)

    timer = benchmark.Timer(
        stmt="call(*args)", globals={"call": call, "args": args}, num_threads=threads
    )
    m = timer.blocked_autorange(min_run_time=min_run_time)
    return Latency(median=m.median, iqr=m.iqr, threads=threads, runs=len(m.times))


@dataclass(frozen=True)
class Energy:
    """Result of :func:`energy_estimate`."""

    seconds: float
    joules: float

    @property
    def kwh(self) -> float:
        return self.joules / 3.6e6


def energy_estimate(
    flops: float,
    *,
    peak_flops_per_second: float,
    power_watts: float,
    utilization: float = 1.0,
    pue: float = 1.0,
) -> Energy:
    """Time and energy to perform ``flops`` on hardware of a given peak rate and power.

    The device runs at ``utilization × peak_flops_per_second`` while drawing ``power_watts``; the
    data centre's power usage effectiveness ``pue`` (≥ 1) adds cooling and other overheads. Every
    input is an assumption the caller should state and cite; this only does the arithmetic.

    Examples
    --------
    >>> e = energy_estimate(1e18, peak_flops_per_second=1e14, power_watts=300, utilization=0.5)
    >>> round(e.seconds), round(e.kwh, 3)
    (20000, 1.667)
    """
    flops = positive_float("flops", flops, allow_zero=True)
    peak = positive_float("peak_flops_per_second", peak_flops_per_second)
    power = positive_float("power_watts", power_watts)
    utilization = positive_float("utilization", utilization)
    if utilization > 1:
        raise ValueError(f"utilization is a fraction of the peak rate, at most 1; got {utilization}.")
    pue = positive_float("pue", pue)
    if pue < 1:
        raise ValueError(f"pue (power usage effectiveness) is at least 1; got {pue}.")
    seconds = flops / (peak * utilization)
    return Energy(seconds=seconds, joules=seconds * power * pue)
