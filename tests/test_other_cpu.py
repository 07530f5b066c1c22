"""The imitated other CPU is real: ``make test-other-cpu`` runs on other kernels.

``make test-other-cpu`` re-runs every notebook with the kernels of PyTorch, MKL and oneDNN forced
down to an older instruction set and on two threads, to show that the committed outputs nbval
compares and every claim of the text hold on a CPU unlike the one that executed the notebooks.
That proof is only worth something if the forced kernels really compute differently. These
tests check it from inside that run: PyTorch reports the forced capability, and a short training
run ends with other floats than the same run on this machine's own kernels.

Outside that run (no ``ATEN_CPU_CAPABILITY`` in the environment) they are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

FORCED = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA")

pytestmark = pytest.mark.skipif(
    "ATEN_CPU_CAPABILITY" not in os.environ,
    reason="runs only under make test-other-cpu, which forces older kernels")

# Three epochs of Adam on a small MLP and the digits: long enough for a different order of
# floating-point sums to show in the printed loss at full precision.
TRAINING = """
import torch
from dlimits import data, models, train
torch.set_num_threads({threads})
split = data.load("digits")
model = models.mlp(64, [64], 10)
result = train.fit(model, split, epochs=3, seed=0, device="cpu")
print(repr(float(result.history["train_loss"].iloc[-1])))
print(torch.backends.cpu.get_cpu_capability())
"""


def _run(env: dict[str, str], threads: int) -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-c", TRAINING.format(threads=threads)], env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout.split()
    return out[-2], out[-1]


def test_all_three_libraries_are_forced():
    assert all(os.environ.get(name) for name in FORCED), (
        f"the other-CPU run must force all of {FORCED}; found "
        f"{ {name: os.environ.get(name) for name in FORCED} }")
    assert os.environ.get("DLIMITS_THREADS") == "2", "the other-CPU run uses two threads"


def test_pytorch_uses_the_forced_kernels():
    import torch

    assert torch.backends.cpu.get_cpu_capability() == os.environ["ATEN_CPU_CAPABILITY"].upper()


def test_training_ends_with_other_floats_than_on_this_cpus_own_kernels():
    forced_loss, forced_cap = _run(dict(os.environ), threads=1)
    native_env = {k: v for k, v in os.environ.items() if k not in FORCED}
    native_loss, native_cap = _run(native_env, threads=1)
    assert forced_cap != native_cap, (
        f"this CPU's own kernels are already {native_cap}: the run imitates nothing")
    assert forced_loss != native_loss, (
        f"the forced kernels ({forced_cap}) gave the same final loss as this CPU's own "
        f"({native_cap}), {native_loss}: the run would not show a difference between CPUs")
