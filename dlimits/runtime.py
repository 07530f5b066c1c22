"""Seeding, device choice, and the ledger that records what a notebook cost to run.

Every chapter ends by reporting its own cost: wall-clock seconds and the floating-point
operations (FLOPs) that its training runs performed, counted by
:class:`torch.utils.flop_counter.FlopCounterMode`. :func:`dlimits.train.fit` adds to the ledger
automatically; anything else can be added with :func:`record_flops`.
"""

from __future__ import annotations

import os
import platform
import random
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ._validate import bounded_int, flag, positive_float, positive_int
from ._validate import seed as check_seed

#: the most CPU threads :func:`set_threads` accepts
MAX_THREADS = 1024


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch so that a run can be repeated exactly.

    Returns a ``torch.Generator`` seeded with the same value, for code that wants its own stream
    (for example a ``DataLoader``). Results are bit-identical on one machine and thread count;
    other CPUs may differ in low digits, which is why the notebooks print rounded values.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__} ({seed!r}).")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - libraries such as scikit-learn and LIME use the legacy global
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """Return the device to compute on: CUDA when present, otherwise the CPU.

    Parameters
    ----------
    prefer:
        ``None`` (automatic), ``"cpu"`` or ``"cuda"``. The environment variable
        ``DLIMITS_DEVICE`` overrides the automatic choice, e.g. ``DLIMITS_DEVICE=cpu`` to keep a
        GPU machine on the CPU for reproducible numbers.
    """
    choice = prefer if prefer is not None else os.environ.get("DLIMITS_DEVICE") or None
    if choice is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(choice, bool) or choice not in ("cpu", "cuda"):
        where = "prefer" if prefer is not None else "the environment variable DLIMITS_DEVICE"
        raise ValueError(f"Unknown device {choice!r} in {where}; choose 'cpu', 'cuda' or None "
                         "(automatic).")
    if choice == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but torch.cuda.is_available() is False on this machine.")
    return torch.device(choice)


def set_threads(n: int) -> int:
    """Set the number of CPU threads PyTorch uses (1 to 1,024) and return the previous value."""
    n = bounded_int("n", n, maximum=MAX_THREADS)
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    return previous


@dataclass
class Ledger:
    """Running totals of what the current notebook has cost."""

    started: float = field(default_factory=time.perf_counter)
    flops: float = 0.0
    entries: dict[str, float] = field(default_factory=dict)

    def add(self, label: str, flops: float) -> None:
        flops = positive_float("flops", flops, allow_zero=True)
        if not isinstance(label, str) or not label:
            raise ValueError("label must be a non-empty string naming what the FLOPs were spent on.")
        self.flops += flops
        self.entries[label] = self.entries.get(label, 0.0) + flops

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


_LEDGER = Ledger()


def start_ledger() -> Ledger:
    """Reset the cost ledger; call it in a notebook's first code cell."""
    global _LEDGER
    _LEDGER = Ledger()
    return _LEDGER


def ledger() -> Ledger:
    """Return the current cost ledger."""
    return _LEDGER


def record_flops(label: str, flops: float) -> None:
    """Add ``flops`` counted FLOPs under ``label`` to the current ledger."""
    _LEDGER.add(label, flops)


THREADS_ENV = "DLIMITS_THREADS"


def default_threads() -> int:
    """The number of CPU threads a notebook uses unless it asks for another: 1, or the value of
    the environment variable ``DLIMITS_THREADS``.

    The test suite runs every notebook a second time with ``DLIMITS_THREADS=2`` and older
    kernels (``make test-other-cpu``): a different order of floating-point reductions, as another
    CPU would give, must not change any output that nbval compares exactly, nor any claim.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return 1
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{THREADS_ENV} must be a whole number of threads, got {value!r}.") from None
    return positive_int(THREADS_ENV, n)


def notebook_setup(*, seed: int = 0, threads: int | None | str = "default") -> torch.device:
    """Prepare a chapter notebook: reset the cost ledger, seed everything, apply the course's
    plot style, fix the number of CPU threads, and return the device to compute on.

    ``threads=1`` is the default because the course's models are small: their matrix products
    are too short to gain from several threads, and on a busy machine the threads of a
    multi-threaded run wait for each other (we measured a tiny MLP run 10× slower on 2 threads
    than on 1 while another process was busy, and a NumPy least-squares loop 15× slower). The
    limit applies to PyTorch and to the BLAS and OpenMP pools that NumPy and scikit-learn use.
    Pass ``threads=None`` to keep the libraries' own choices. The default is 1 unless the
    environment variable ``DLIMITS_THREADS`` says otherwise (see :func:`default_threads`).
    """
    from threadpoolctl import threadpool_limits

    from .plot import use_style

    if isinstance(threads, str) and threads == "default":
        threads = default_threads()
    elif threads is not None:
        if isinstance(threads, str):
            raise TypeError(f"threads must be a number of threads, None or 'default', got "
                            f"{threads!r}.")
        threads = bounded_int("threads", threads, maximum=MAX_THREADS)
    check_seed("seed", seed)  # before anything changes
    start_ledger()
    seed_everything(seed)
    use_style()
    if threads is not None:
        set_threads(threads)
        threadpool_limits(limits=threads)
    return get_device()


def cost_report(print_it: bool = True) -> dict[str, object]:
    """Summarise what the notebook cost: wall time, counted FLOPs, and the machine.

    Returns a dictionary (for ``glue`` or checks) and, by default, prints a short report.
    """
    print_it = flag("print_it", print_it)
    led = _LEDGER
    device = get_device()
    info: dict[str, object] = {
        "seconds": led.seconds,
        "flops": led.flops,
        "device": device.type,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "entries": dict(led.entries),
    }
    if print_it:
        lines = [
            f"Wall-clock time : {info['seconds']:.1f} s",
            f"FLOPs counted   : {info['flops']:.3g} (training and evaluation passes recorded by dlimits)",
            f"Device          : {info['device']} ({info['threads']} CPU threads), torch {info['torch']}",
        ]
        for label, value in sorted(led.entries.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {label:<30s} {value:.3g} FLOPs")
        print("\n".join(lines))
    return info
