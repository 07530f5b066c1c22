"""Measuring what a model costs: parameters, FLOPs, size on disk, latency.

FLOPs are *counted* by :class:`torch.utils.flop_counter.FlopCounterMode`, which records the
floating-point operations of matrix multiplications and convolutions (a multiply–add counts as
2 FLOPs); element-wise operations such as activations, biases and optimiser updates are not
counted, matching the convention of the scaling-law literature.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from ._validate import (
    bounded_float,
    bounded_int,
    flag,
    fraction,
    memory,
    numbers,
    positive_float,
    positive_int,
)

#: the most threads, benchmark seconds and rounds a measurement may ask for
MAX_THREADS = 1024
MAX_SECONDS = 3600.0
MAX_ROUNDS = 1000


def _check_module(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return model


def _as_tuple(inputs: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    if isinstance(inputs, torch.Tensor):
        return (inputs,)
    if isinstance(inputs, Sequence) and inputs and all(isinstance(t, torch.Tensor) for t in inputs):
        return tuple(inputs)
    raise TypeError("inputs must be a tensor or a non-empty sequence of tensors, got "
                    f"{type(inputs).__name__}.")


def _threads(threads) -> int:
    """The thread count to use: the current one for ``None``, else a checked integer."""
    if threads is None:
        return torch.get_num_threads()
    return bounded_int("threads", threads, maximum=MAX_THREADS)


def _call_failed(err: Exception, args: tuple) -> ValueError:
    shapes = ", ".join(str(tuple(t.shape)) for t in args)
    return ValueError(f"calling the model on inputs of shape {shapes} failed with: {err}. "
                      "Check that the inputs fit the model (e.g. the number of features).")


def count_parameters(model: nn.Module, *, trainable_only: bool = False, nonzero: bool = False) -> int:
    """Number of parameters of ``model``.

    ``trainable_only`` skips frozen parameters; ``nonzero`` counts only non-zero entries (what is
    left after pruning).
    """
    model = _check_module(model)
    trainable_only = flag("trainable_only", trainable_only)
    nonzero = flag("nonzero", nonzero)
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
    backward = flag("backward", backward)
    with FlopCounterMode(display=False) as counter:
        try:
            out = model(*args)
        except Exception as err:  # the model's own error, e.g. a matrix-size mismatch
            raise _call_failed(err, args) from err
        if backward:
            if not isinstance(out, torch.Tensor) or not out.requires_grad:
                raise ValueError("backward=True needs a model whose output requires a gradient.")
            out.sum().backward()
    return int(counter.get_total_flops())


def size_on_disk(model: nn.Module | dict) -> int:
    """Bytes taken by ``torch.save`` of the model's ``state_dict`` (or of a given state dict,
    which must hold at least one tensor)."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    if not isinstance(state, dict):
        raise TypeError(f"model must be an nn.Module or a state dict, got "
                        f"{type(model).__name__}.")
    if not isinstance(model, nn.Module) and not _holds_tensor(state):
        raise ValueError("model is a dict without any tensor, not a state dict: give a module "
                         "or its state_dict().")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def _holds_tensor(value) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, dict):
        return any(_holds_tensor(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_tensor(v) for v in value)
    return False


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
    but check only ratios, with tolerances. ``threads`` is at most 1,024 and ``min_run_time``
    at most an hour.
    """
    if not callable(model):
        raise TypeError(f"model must be a module or callable, got {type(model).__name__}.")
    args = _as_tuple(inputs)
    threads = _threads(threads)
    min_run_time = bounded_float("min_run_time", min_run_time, maximum=MAX_SECONDS)

    def call(*a):
        with torch.inference_mode():
            return model(*a)

    timer = benchmark.Timer(
        stmt="call(*args)", globals={"call": call, "args": args}, num_threads=threads
    )
    try:
        m = timer.blocked_autorange(min_run_time=min_run_time)
    except Exception as err:  # the model's own error, raised inside the benchmark
        raise _call_failed(err, args) from err
    return Latency(median=m.median, iqr=m.iqr, threads=threads, runs=len(m.times))


@dataclass(frozen=True)
class Paired:
    """Result of :func:`paired`: times of several calls taken back to back.

    Attributes
    ----------
    seconds:
        Median seconds per call of each named call, over the rounds.
    ratio:
        Median over the rounds of each call's time divided by the *first* call's time in the
        same round (the first call's ratio is 1). Ratios taken within a round cancel most of
        the drift of a shared or throttled machine; this is the number to report.
    rounds:
        Seconds per call, one row per round and one column per call.
    """

    seconds: pd.Series
    ratio: pd.Series
    rounds: pd.DataFrame


def paired(
    calls: Mapping[str, Callable] | Sequence[tuple],
    inputs: torch.Tensor | Sequence[torch.Tensor] | None = None,
    *,
    rounds: int = 9,
    min_run_time: float = 0.01,
    threads: int = 1,
) -> Paired:
    """Time several calls in alternating rounds and report each as a ratio to the first.

    ``calls`` is a mapping ``{name: callable}`` or a sequence of ``(name, callable)`` pairs,
    all called with ``inputs``, or of ``(name, callable, inputs)`` triples, each with its own.
    Every round times each call once with :func:`latency` (on ``threads`` threads), starting
    each round one call later, so that no call is always first or last.

    >>> fast, slow = torch.nn.Identity(), torch.nn.Linear(512, 512)
    >>> t = paired({"identity": fast, "linear": slow}, torch.ones(64, 512), rounds=3)
    >>> list(t.ratio.index), float(t.ratio["identity"])
    (['identity', 'linear'], 1.0)
    >>> bool(t.ratio["linear"] > 1)
    True
    """
    if isinstance(calls, str) or not isinstance(calls, Mapping | Sequence):
        raise TypeError("calls must be a mapping {name: callable} or a sequence of (name, "
                        f"callable) pairs, got {type(calls).__name__}.")
    items = list(calls.items()) if isinstance(calls, Mapping) else list(calls)
    if len(items) < 2:
        raise ValueError("paired() needs at least two calls to compare, got "
                         f"{len(items)} in calls.")
    named: list[tuple[str, Callable, tuple[torch.Tensor, ...]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, tuple) or len(item) not in (2, 3):
            raise TypeError(f"calls[{i}] must be (name, callable) or (name, callable, inputs), "
                            f"got {item!r}.")
        name, fn = item[0], item[1]
        own = item[2] if len(item) == 3 else inputs
        if not isinstance(name, str) or not name:
            raise TypeError(f"calls[{i}] needs a non-empty name, got {name!r}.")
        if not callable(fn):
            raise TypeError(f"calls[{i}] ({name!r}) is not callable: {type(fn).__name__}.")
        if own is None:
            raise ValueError(f"call {name!r} has no inputs: pass inputs= or a (name, callable, "
                             "inputs) triple.")
        named.append((name, fn, _as_tuple(own)))
    names = [n for n, _, _ in named]
    if len(set(names)) != len(names):
        raise ValueError(f"the names in calls must be distinct, got {names}.")
    rounds = bounded_int("rounds", rounds, maximum=MAX_ROUNDS)
    threads = bounded_int("threads", threads, maximum=MAX_THREADS)
    min_run_time = bounded_float("min_run_time", min_run_time, maximum=MAX_SECONDS)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        shift = r % len(named)
        for name, fn, args in named[shift:] + named[:shift]:
            times[name].append(latency(fn, args, threads=threads,
                                       min_run_time=min_run_time).median)
    table = pd.DataFrame(times)
    table.index.name = "round"
    ratios = table.div(table.iloc[:, 0], axis=0)
    return Paired(seconds=table.median(), ratio=ratios.median(), rounds=table)


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


# --------------------------------------------------------------------------------------------
# The roofline of the machine the notebook runs on
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roofline:
    """A roofline model: the attainable rate is ``min(peak, bandwidth × intensity)``.

    Attributes
    ----------
    peak_flops:
        The highest compute rate measured, in FLOP/s.
    bandwidth:
        The memory bandwidth measured, in bytes/s.
    """

    peak_flops: float
    bandwidth: float

    def __post_init__(self) -> None:
        positive_float("peak_flops", self.peak_flops)
        positive_float("bandwidth", self.bandwidth)

    @property
    def ridge(self) -> float:
        """Arithmetic intensity (FLOP/byte) where the memory roof meets the compute roof."""
        return self.peak_flops / self.bandwidth

    def attainable(self, intensity):
        """Attainable FLOP/s at the given arithmetic intensity (FLOP per byte moved): a number
        or an array of numbers, each positive and finite."""
        import numpy as np

        numbers("intensity", intensity, positive=True, allow_zero=False)
        x = np.asarray(intensity, dtype=float)
        if np.any(~np.isfinite(x)) or np.any(x <= 0):
            raise ValueError("intensity must be positive and finite (FLOP per byte).")
        out = np.minimum(self.peak_flops, self.bandwidth * x)
        return float(out) if out.ndim == 0 else out

    def fraction(self, flop_per_s: float, intensity: float) -> float:
        """How close an achieved rate comes to the roof at its intensity (1 = on the roof).

        A value above 1 is returned as measured, not refused: it says that this roofline
        underestimates the machine for that measurement — a small layer timed again and again
        runs from the cache, whose roof is higher than the memory's, and a layer timed on more
        threads than the roofline was measured with can beat its compute roof. Read such a
        value as a statement about the roofline, not about the layer.
        """
        flop_per_s = positive_float("flop_per_s", flop_per_s)
        return flop_per_s / self.attainable(intensity)


def matmul_throughput(
    sizes: Sequence[int] = (32, 64, 128, 256, 512, 1024),
    *,
    threads: int | None = None,
    dtype: torch.dtype = torch.float32,
    min_run_time: float = 0.2,
):
    """Measured FLOP/s of square matrix products ``n × n @ n × n`` (``2n³`` FLOP each).

    Returns a :class:`pandas.DataFrame` with columns ``n``, ``seconds`` (median per product)
    and ``flop_per_s``. The largest rate is the course's estimate of the peak compute rate of
    this CPU for the given thread count (see :func:`measure_roofline`).
    """

    if (isinstance(sizes, int | str) or not isinstance(sizes, Sequence)
            or not sizes):
        raise TypeError(f"sizes must be a non-empty sequence of matrix sizes, got {sizes!r}.")
    sizes = [bounded_int(f"sizes[{i}]", n, maximum=2**14) for i, n in enumerate(sizes)]
    threads = _threads(threads)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch dtype such as torch.float32, "
                        f"got {dtype!r}.")
    min_run_time = bounded_float("min_run_time", min_run_time, maximum=MAX_SECONDS)
    rows = []
    for n in sizes:
        a = torch.randn(n, n, dtype=dtype)
        b = torch.randn(n, n, dtype=dtype)
        timer = benchmark.Timer(stmt="torch.mm(a, b)", globals={"torch": torch, "a": a, "b": b},
                                num_threads=threads)
        m = timer.blocked_autorange(min_run_time=min_run_time)
        rows.append({"n": n, "seconds": m.median, "flop_per_s": 2 * n**3 / m.median})
    return pd.DataFrame(rows)


def memory_bandwidth(
    n_bytes: int = 2**28,
    *,
    threads: int | None = None,
    min_run_time: float = 0.3,
) -> float:
    """Measured memory bandwidth in bytes/s: a copy between two arrays of ``n_bytes`` each.

    A copy reads every byte once and writes it once, so ``2 · n_bytes`` bytes move per call.
    Make ``n_bytes`` far larger than the CPU's last-level cache (the default, 256 MiB, is) or
    the result measures the cache instead of the memory.
    """
    n_bytes = positive_int("n_bytes", n_bytes, minimum=4096)
    memory(f"two arrays of n_bytes={n_bytes:,}", 2 * n_bytes, itemsize=1)
    threads = _threads(threads)
    min_run_time = bounded_float("min_run_time", min_run_time, maximum=MAX_SECONDS)
    n = n_bytes // 4
    src = torch.ones(n, dtype=torch.float32)
    dst = torch.empty_like(src)
    timer = benchmark.Timer(stmt="dst.copy_(src)", globals={"src": src, "dst": dst},
                            num_threads=threads)
    m = timer.blocked_autorange(min_run_time=min_run_time)
    return 2 * 4 * n / m.median


def measure_roofline(*, threads: int | None = None, sizes: Sequence[int] = (64, 128, 256, 512, 1024),
                     n_bytes: int = 2**28) -> Roofline:
    """Measure this machine's roofline: peak FLOP/s from :func:`matmul_throughput` and memory
    bandwidth from :func:`memory_bandwidth`, both on ``threads`` threads."""
    sweep = matmul_throughput(sizes, threads=threads)
    return Roofline(float(sweep["flop_per_s"].max()), memory_bandwidth(n_bytes, threads=threads))


def layer_costs(model: nn.Module, inputs: torch.Tensor | Sequence[torch.Tensor], *,
                timed: bool = False, min_run_time: float = 0.05):
    """FLOPs, bytes moved and arithmetic intensity of every layer with weights in ``model``.

    For each leaf module that has parameters (linear and convolutional layers), one forward pass
    of ``model`` on ``inputs`` records what it received and returned. Its FLOPs are counted with
    :class:`~torch.utils.flop_counter.FlopCounterMode`; the bytes it must move at least once are
    its parameters, its input and its output. ``intensity`` is FLOPs per byte: where the layer
    sits on a roofline. With ``timed=True`` each layer is also timed on its recorded input
    (``seconds`` and achieved ``flop_per_s``).

    Returns a :class:`pandas.DataFrame`, one row per layer, in the order the layers ran.
    """

    model = _check_module(model)
    args = _as_tuple(inputs)
    timed = flag("timed", timed)
    min_run_time = bounded_float("min_run_time", min_run_time, maximum=MAX_SECONDS)
    records: list[tuple[str, nn.Module, tuple, torch.Tensor]] = []
    hooks = []
    for name, module in model.named_modules():
        if list(module.children()) or not list(module.parameters(recurse=False)):
            continue

        def hook(mod, inp, out, name=name):
            records.append((name, mod, tuple(t.detach() for t in inp), out.detach()))

        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(*args)
    except Exception as err:  # the model's own error, e.g. a matrix-size mismatch
        raise _call_failed(err, args) from err
    finally:
        for h in hooks:
            h.remove()
    if not records:
        raise ValueError("model has no leaf layer with parameters to measure.")
    rows = []
    for name, module, inp, out in records:
        with torch.no_grad():
            flops = count_flops(module, inp)
        param_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
        moved = param_bytes + sum(t.numel() * t.element_size() for t in inp)
        moved += out.numel() * out.element_size()
        row = {"layer": name, "type": type(module).__name__, "flops": flops, "bytes": moved,
               "intensity": flops / moved if moved else float("nan")}
        if timed:
            seconds = latency(module, inp, min_run_time=min_run_time).median
            row.update(seconds=seconds, flop_per_s=flops / seconds if flops else float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Summary:
    """A Part III result in the course's common form, so that chapters can be compared.

    Every efficiency chapter ends with one such line for its best model: test accuracy, bytes on
    disk, FLOPs per image and latency at batch 1 as a ratio to the fp32 baseline timed *in the
    same run* (absolute times are never compared across machines). Build it with
    :func:`summary`.
    """

    label: str
    accuracy: float
    baseline_accuracy: float
    size_bytes: int
    baseline_size_bytes: int
    flops: float
    baseline_flops: float
    latency_ratio: float

    @property
    def compression(self) -> float:
        """How many times smaller on disk than the baseline."""
        return self.baseline_size_bytes / self.size_bytes

    @property
    def flop_ratio(self) -> float:
        """FLOPs per image as a fraction of the baseline's."""
        return self.flops / self.baseline_flops

    @property
    def speedup(self) -> float:
        """Baseline latency divided by this model's (above 1 is faster)."""
        return 1.0 / self.latency_ratio

    def __str__(self) -> str:
        points = 100 * (self.accuracy - self.baseline_accuracy)
        return (f"{self.label}: accuracy {self.accuracy:.1%} ({points:+.1f} points), "
                f"{self.compression:.1f}x smaller, {self.flop_ratio:.2f}x the FLOPs, "
                f"{self.speedup:.2f}x the speed of the fp32 baseline")


def summary(label: str, *, accuracy: float, baseline_accuracy: float, size_bytes: int,
            baseline_size_bytes: int, flops: float, baseline_flops: float,
            latency_ratio: float) -> Summary:
    """Validate and bundle one result in the common form of Part III (see :class:`Summary`).

    >>> print(summary("int8", accuracy=0.93, baseline_accuracy=0.934, size_bytes=250_000,
    ...               baseline_size_bytes=1_000_000, flops=4.7e5, baseline_flops=4.7e5,
    ...               latency_ratio=0.5))
    int8: accuracy 93.0% (-0.4 points), 4.0x smaller, 1.00x the FLOPs, 2.00x the speed of the fp32 baseline
    """
    if not isinstance(label, str) or not label.strip():
        raise ValueError("label must be a non-empty string naming the model and technique.")
    for name, value in (("accuracy", accuracy), ("baseline_accuracy", baseline_accuracy)):
        fraction(name, value, open_interval=False)
    return Summary(
        label=label,
        accuracy=float(accuracy),
        baseline_accuracy=float(baseline_accuracy),
        size_bytes=positive_int("size_bytes", size_bytes),
        baseline_size_bytes=positive_int("baseline_size_bytes", baseline_size_bytes),
        flops=positive_float("flops", flops),
        baseline_flops=positive_float("baseline_flops", baseline_flops),
        latency_ratio=positive_float("latency_ratio", latency_ratio),
    )


def speed_verdict(time_ratio: float, *, band: float = 0.1) -> str:
    """Say in words what a measured time ratio (model time / reference time) found.

    Whether one model is faster than another on a CPU depends on the CPU (its vector and int8
    instructions, its caches, the framework's fixed cost per call), so the course never states
    it as a fact: the text reports what the machine that ran the notebook measured, through the
    words this function chooses. A ratio within ``band`` of 1 (on a log scale) is "about as fast
    as"; below it "faster than", above it "slower than".

    >>> speed_verdict(0.5), speed_verdict(1.04), speed_verdict(2.3)
    ('faster than', 'about as fast as', 'slower than')
    """
    if isinstance(time_ratio, bool):
        raise TypeError("time_ratio must be a number (model time / reference time), got a bool.")
    time_ratio = positive_float("time_ratio", time_ratio)
    if isinstance(band, bool):
        raise TypeError("band must be a number between 0 and 1, got a bool.")
    band = positive_float("band", band)
    if band >= 1:
        raise ValueError(f"band must be below 1 (a fraction of the reference time), got {band}.")
    if time_ratio < 1 / (1 + band):
        return "faster than"
    if time_ratio > 1 + band:
        return "slower than"
    return "about as fast as"
