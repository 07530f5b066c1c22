"""Probe every public function and method of dlimits with nonsense, and count how it answers.

Run it from the repository root (it is not a test: ``tests/unit/conftest.py`` keeps pytest,
doctests included, from importing it)::

    .venv/bin/python tests/unit/probe_dlimits.py            # counts by class
    .venv/bin/python tests/unit/probe_dlimits.py -v         # and every probe that is not clear
    .venv/bin/python tests/unit/probe_dlimits.py --digest FILE   # fingerprints of valid results

Every probe calls one function with one argument made nonsensical (a wrong type, a bool where
a number goes, the strings "False"/"no" where a bool goes, an empty input, NaN/inf, a negative
number, zero, an absurd size, a wrong shape or dtype) and the others valid, or calls it with
valid arguments only. Each answer falls in one class:

* ``clear``   — a ValueError/TypeError raised by dlimits whose message names the argument;
* ``unclear`` — any other exception, or one raised deep inside numpy/torch/sklearn/matplotlib,
  or a message that does not name the argument;
* ``silent``  — nonsense went in and an answer came out (or a valid input gave a wrong answer,
  where the probe knows the right one, or a call ran past the time limit);
* ``valid``   — valid input, answered;
* ``refused`` — valid input, refused with an exception (there should be none).

``--digest FILE`` writes a fingerprint of every deterministic valid answer, so that two runs
(before and after a change of the package) can be compared: the package must give the same
results, bit for bit, for valid inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import random
import re
import resource
import signal
import sys
import warnings
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from booktools import student  # noqa: E402
from dlimits import (  # noqa: E402
    baselines,
    bill,
    claims,
    compress,
    data,
    exercises,
    explain,
    fit,
    measure,
    models,
    plot,
    runtime,
    train,
)

torch.set_num_threads(1)
NAN, INF = float("nan"), float("inf")
TIME_LIMIT_S = 5.0
PACKAGE_DIR = str(ROOT / "dlimits")


# ------------------------------------------------------------------------------ machinery


class Fresh:
    """A value built anew for every probe (models and tensors that a call may change)."""

    def __init__(self, make):
        self.make = make


def _materialise(value):
    return value.make() if isinstance(value, Fresh) else value


@dataclasses.dataclass
class Probe:
    function: str
    arg: str
    case: str
    call: object
    valid: bool
    names: tuple[str, ...]
    expect: object = None          # for valid probes: a function of the result, True if right
    deterministic: bool = True


PROBES: list[Probe] = []


class ProbeWrong(Exception):
    """Raised by a probe's own check: the function answered, and the answer is wrong."""


def bad(function, arg, case, call, names=None):
    PROBES.append(Probe(function, arg, case, call, False, tuple(names or (arg,))))


def good(function, case, call, expect=None, deterministic=True):
    PROBES.append(Probe(function, "-", case, call, True, (), expect, deterministic))


def vary(function, fn, base, arg, cases, names=None):
    """One nonsense probe per ``(case, value)`` of ``cases`` for argument ``arg`` of ``fn``."""
    for case, value in cases:
        def call(value=value):
            kwargs = {k: _materialise(v) for k, v in base.items()}
            kwargs[arg] = _materialise(value)
            return fn(**kwargs)
        bad(function, arg, case, call, names)


def valid(function, fn, base, case="valid", expect=None, deterministic=True, **override):
    def call():
        kwargs = {k: _materialise(v) for k, v in base.items()}
        kwargs.update({k: _materialise(v) for k, v in override.items()})
        return fn(**kwargs)
    good(function, case, call, expect, deterministic)


# kinds of nonsense, per kind of argument
def counts(zero_ok=False, huge=True, none_ok=False):
    cases = [("str", "3"), ("float", 2.5), ("bool", True), ("negative", -1), ("nan", NAN)]
    if not none_ok:
        cases.append(("None", None))
    if not zero_ok:
        cases.append(("zero", 0))
    if huge:
        cases.append(("huge", 10**12))
    return cases


def floats(zero_ok=False, negative_ok=False, none_ok=False):
    cases = [("str", "1"), ("bool", True), ("nan", NAN), ("inf", INF)]
    if not none_ok:
        cases.append(("None", None))
    if not negative_ok:
        cases.append(("negative", -1.0))
    if not zero_ok and not negative_ok:
        cases.append(("zero", 0.0))
    return cases


def fractions(zero_ok=False, one_ok=False):
    cases = floats(zero_ok=zero_ok) + [("above 1", 1.5)]
    if not one_ok:
        cases.append(("one", 1.0))
    return cases


FLAGS = [("str False", "False"), ("str no", "no"), ("int 1", 1), ("int 0", 0), ("None", None)]
SEEDS = [("negative", -1), ("float", 1.5), ("bool", True), ("str", "0"), ("huge", 2**40),
         ("nan", NAN)]
OPTIONS = [("unknown", "nonsense"), ("int", 3), ("None", None)]
MODELS = [("str", "model"), ("None", None), ("int", 3)]


def nan_tensor(*shape):
    t = torch.randn(*shape)
    t.view(-1)[0] = NAN
    return t


def inf_tensor(*shape):
    t = torch.randn(*shape)
    t.view(-1)[0] = INF
    return t


def nan_mlp():
    net = models.mlp(6, [5], 3, seed=0)
    with torch.no_grad():
        net[0].weight[0, 0] = NAN
    return net


def inf_mlp():
    net = models.mlp(6, [5], 3, seed=0)
    with torch.no_grad():
        net[2].weight[0, 0] = INF
    return net


# ------------------------------------------------------------------------------ fixtures

SPLIT = data.teacher_student(64, 32, n_features=4, task="classification", n_classes=3, seed=0)
RSPLIT = data.teacher_student(40, 20, n_features=3, seed=0)


def small_mlp():
    return models.mlp(4, [8], 3, seed=0)


def six_mlp():
    return models.mlp(6, [5], 3, seed=0)


X4 = torch.as_tensor(SPLIT.X_test)
Y4 = torch.as_tensor(SPLIT.y_test)
X_POW = np.array([10, 20, 40, 80, 160, 320.0])
Y_POW = 3 * X_POW**-0.5 + 0.1
POWFIT = fit.fit_power_law(X_POW, Y_POW, n_boot=20)
LINEFIT = fit.fit_line(np.arange(6.0), 2 * np.arange(6.0) + 1 + np.array([0, .1, -.1, 0, .1, 0]),
                       n_boot=20)
LOGFIT = fit.fit_line(np.log10(X_POW), np.log10(3 * X_POW**-0.5), n_boot=20)
ROOF = measure.Roofline(1e9, 1e9)
LAW = bill.ComputeOptimalLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
BILL = bill.training_bill(1e21)


def predict2(X):
    p = 1 / (1 + np.exp(-(2 * X[:, 0] + X[:, 1])))
    return np.column_stack([1 - p, p])


XE = np.array([[1.0, 1.0, 0.5], [2.0, 1.0, -0.5]])
ATTR = np.array([2.0, 1.0, 0.5])


# =============================================================================== data

def split_args(**override):
    base = dict(X_train=np.ones((4, 2)), y_train=np.array([0, 1, 0, 1]),
                X_test=np.ones((2, 2)), y_test=np.array([0, 1]), task="classification",
                n_classes=2, name="toy", info={})
    base.update(override)
    return base


F = "data.Split"
valid(F, data.Split, split_args())
vary(F, data.Split, split_args(), "X_train", [
    ("nan", np.array([[NAN, 1], [1, 1], [1, 1], [1, 1]])), ("str", np.array([["a", "b"]] * 4)),
    ("1-D", np.ones(4)), ("empty", np.ones((0, 2))), ("bool dtype", np.ones((4, 2), bool)),
    ("None", None)])
vary(F, data.Split, split_args(), "y_train", [
    ("non-integer", np.array([0, 0.5, 1, 0])), ("out of range", np.array([0, 1, 2, 0])),
    ("2-D", np.ones((4, 2), int)), ("negative", np.array([0, -1, 1, 0])),
    ("bool", np.array([True, False, True, False])), ("wrong length", np.array([0, 1]))])
vary(F, data.Split, split_args(), "task", OPTIONS)
vary(F, data.Split, split_args(), "n_classes", [("str", "2"), ("float", 2.5), ("bool", True),
                                               ("one", 1), ("negative", -1), ("None", None)])
vary(F, data.Split, split_args(), "name", [("int", 3), ("None", None), ("empty", "")])
vary(F, data.Split, split_args(), "info", [("str", "x"), ("list", [1, 2])])

F = "data.Split.tensors"
valid(F, SPLIT.tensors, {})
vary(F, SPLIT.tensors, {}, "device", [("unknown", "gpu0"), ("float", 3.5)])
F = "data.Split.subsample"
valid(F, SPLIT.subsample, {"n": 30})
valid(F, SPLIT.subsample, {"n": np.int64(30), "seed": np.int64(1)}, case="numpy ints")
vary(F, SPLIT.subsample, {"n": 30}, "n", counts())
vary(F, SPLIT.subsample, {"n": 30}, "seed", SEEDS)

F = "data.load"
valid(F, data.load, {"name": "wine"})
valid(F, data.load, {"name": "wine", "standardize": np.bool_(False)}, case="numpy bool")
vary(F, data.load, {"name": "wine"}, "name", OPTIONS + [("empty", "")])
vary(F, data.load, {"name": "wine"}, "test_size", fractions())
vary(F, data.load, {"name": "wine"}, "seed", SEEDS)
vary(F, data.load, {"name": "wine"}, "standardize", FLAGS[:4])

F = "data.teacher_student"
TS = {"n_train": 20, "n_test": 10}
valid(F, data.teacher_student, TS)
valid(F, data.teacher_student, TS, case="classification", task="classification", noise=0.1)
for arg in ("n_train", "n_test", "n_features", "teacher_width"):
    vary(F, data.teacher_student, TS, arg, counts())
vary(F, data.teacher_student, {**TS, "task": "classification"}, "n_classes",
     counts() + [("one", 1)])
vary(F, data.teacher_student, TS, "task", OPTIONS)
vary(F, data.teacher_student, TS, "noise", floats(zero_ok=True))
vary(F, data.teacher_student, {**TS, "task": "classification"}, "noise", [("all flipped", 0.9)])
vary(F, data.teacher_student, TS, "seed", SEEDS)

F = "data.known_importance_task"
KI = {"n_train": 20, "n_test": 10}
valid(F, data.known_importance_task, KI)
valid(F, data.known_importance_task, KI, case="nonlinear, proxy", nonlinear=True,
      proxy_correlation=0.5)
for arg in ("n_train", "n_test", "n_features", "n_informative"):
    vary(F, data.known_importance_task, KI, arg, counts())
vary(F, data.known_importance_task, KI, "n_informative", [("above n_features", 9)])
vary(F, data.known_importance_task, KI, "nonlinear", FLAGS)
vary(F, data.known_importance_task, KI, "proxy_correlation",
     floats(zero_ok=True) + [("one", 1.0)])
vary(F, data.known_importance_task, KI, "seed", SEEDS)

F = "data.tables"
valid(F, data.tables, {})
F = "data.table"
valid(F, data.table, {"name": "compute_record"})
vary(F, data.table, {}, "name", OPTIONS + [("empty", "")])
bad(F, "read_csv_kw", "unknown keyword",
    lambda: data.table("compute_record", nonsense_option=1), names=("nonsense_option",))

# =============================================================================== models

F = "models.mlp"
MLP = {"n_inputs": 4, "hidden": [8], "n_outputs": 3}
valid(F, models.mlp, MLP, seed=0)
valid(F, models.mlp, MLP, case="numpy ints", n_inputs=np.int64(4), hidden=(np.int64(3),), seed=0)
vary(F, models.mlp, MLP, "n_inputs", counts())
vary(F, models.mlp, MLP, "n_outputs", counts())
vary(F, models.mlp, MLP, "hidden", [("int", 8), ("str", "8"), ("float width", [8.5]),
                                     ("bool width", [True]), ("zero width", [0]),
                                     ("negative width", [-1]), ("huge width", [10**12]),
                                     ("None", None)])
vary(F, models.mlp, MLP, "activation", OPTIONS)
vary(F, models.mlp, MLP, "seed", SEEDS)

# =============================================================================== baselines

F = "baselines.cnn"
valid(F, baselines.cnn, {})
valid(F, baselines.cnn, {"seed": None, "channels": (4, 8), "hidden": 16}, case="small",
      deterministic=False)
vary(F, baselines.cnn, {}, "seed", SEEDS)
vary(F, baselines.cnn, {}, "channels", [("one", (16,)), ("three", (4, 8, 16)), ("str", "ab"),
                                         ("zero", (0, 32)), ("float", (16.5, 32)),
                                         ("huge", (10**12, 1)), ("int", 16), ("None", None)])
vary(F, baselines.cnn, {}, "hidden", counts())
F = "baselines.untrained"
valid(F, baselines.untrained, {"name": "mlp"})
vary(F, baselines.untrained, {"name": "mlp"}, "name", OPTIONS)
vary(F, baselines.untrained, {"name": "mlp"}, "seed", SEEDS)
F = "baselines.baseline"
vary(F, baselines.baseline, {"name": "mlp"}, "name", OPTIONS)
vary(F, baselines.baseline, {"name": "mlp"}, "seed", SEEDS)

# =============================================================================== train

F = "train.evaluate"
EV = {"model": Fresh(small_mlp), "X": X4, "y": Y4}
valid(F, train.evaluate, EV, record=False)
valid(F, train.evaluate, EV, case="numpy inputs", X=SPLIT.X_test, y=SPLIT.y_test, record=False)
valid(F, train.evaluate, {"model": Fresh(lambda: models.mlp(3, [4], 1, seed=0)),
                          "X": RSPLIT.X_test, "y": RSPLIT.y_test}, case="regression",
      task="regression", record=False)
vary(F, train.evaluate, EV, "model", MODELS)
vary(F, train.evaluate, EV, "X", [("nan", Fresh(lambda: nan_tensor(32, 4))),
                                  ("inf", Fresh(lambda: inf_tensor(32, 4))),
                                  ("str", [["a"] * 4] * 32), ("empty", torch.zeros(0, 4)),
                                  ("wrong features", torch.zeros(32, 5)),
                                  ("1-D", torch.zeros(32)), ("None", None)])
vary(F, train.evaluate, EV, "y", [("float", torch.zeros(32)), ("2-D", torch.zeros(32, 1).long()),
                                  ("wrong length", torch.zeros(5).long()),
                                  ("out of range", torch.full((32,), 7)),
                                  ("negative", torch.full((32,), -1)), ("None", None)])
vary(F, train.evaluate, {"model": Fresh(lambda: models.mlp(3, [4], 1, seed=0)),
                         "X": RSPLIT.X_test, "task": "regression"}, "y",
     [("nan target", np.full(20, NAN, dtype=np.float32))])
vary(F, train.evaluate, EV, "task", OPTIONS)
vary(F, train.evaluate, EV, "batch_size", counts(huge=False))
vary(F, train.evaluate, EV, "record", FLAGS)

F = "train.fit"
FIT = {"model": Fresh(small_mlp), "data": SPLIT, "steps": 2, "device": "cpu"}


def fit_digest(result):
    return (result.model, result.history.drop(columns="seconds"), result.train_flops,
            result.n_params, result.steps, result.learning_rates)


valid(F, lambda **kw: fit_digest(train.fit(**kw)), FIT)
valid(F, lambda **kw: fit_digest(train.fit(**kw)), FIT, case="cosine sgd", optimizer="sgd",
      schedule="cosine", steps=None, epochs=1, eval_every=1, weight_decay=1e-4)
vary(F, train.fit, FIT, "model", MODELS + [("wrong width", Fresh(lambda: models.mlp(5, [4], 3)))])
vary(F, train.fit, FIT, "data", [("tuple", (SPLIT.X_train, SPLIT.y_train)), ("None", None)])
vary(F, train.fit, {**FIT, "steps": None}, "epochs", counts(huge=False))
vary(F, train.fit, FIT, "steps", counts(huge=False))
bad(F, "steps", "both epochs and steps",
    lambda: train.fit(small_mlp(), SPLIT, steps=2, epochs=1, device="cpu"),
    names=("epochs", "steps"))
vary(F, train.fit, FIT, "batch_size", counts(huge=False))
vary(F, train.fit, FIT, "lr", floats())
vary(F, train.fit, FIT, "weight_decay", floats(zero_ok=True))
vary(F, train.fit, FIT, "optimizer", OPTIONS)
vary(F, train.fit, FIT, "schedule", OPTIONS)
vary(F, train.fit, FIT, "seed", SEEDS)
vary(F, train.fit, FIT, "device", [("unknown", "gpu0"), ("int", 3.5)])
vary(F, train.fit, FIT, "eval_every", counts(huge=False, none_ok=True))
vary(F, train.fit, FIT, "label", [("int", 3), ("empty", ""), ("None", None)])

RESULT = train.fit(small_mlp(), SPLIT, steps=2, device="cpu", label="probe")
valid("train.TrainResult.final", lambda: RESULT.final.drop("seconds"), {})
valid("train.TrainResult.test_error", lambda: RESULT.test_error, {})
valid("train.TrainResult.test_loss", lambda: RESULT.test_loss, {})

# =============================================================================== measure

F = "measure.count_parameters"
valid(F, measure.count_parameters, {"model": Fresh(small_mlp)})
valid(F, measure.count_parameters, {"model": Fresh(small_mlp)}, case="flags",
      trainable_only=True, nonzero=np.bool_(True))
vary(F, measure.count_parameters, {}, "model", MODELS)
vary(F, measure.count_parameters, {"model": Fresh(small_mlp)}, "trainable_only", FLAGS)
vary(F, measure.count_parameters, {"model": Fresh(small_mlp)}, "nonzero", FLAGS)

F = "measure.count_flops"
CF = {"model": Fresh(small_mlp), "inputs": torch.zeros(2, 4)}
valid(F, measure.count_flops, CF)
valid(F, measure.count_flops, CF, case="backward", backward=True)
vary(F, measure.count_flops, CF, "model", MODELS)
vary(F, measure.count_flops, CF, "inputs", [("list of floats", [1.0, 2.0]), ("empty", []),
                                            ("numpy", np.zeros((2, 4))),
                                            ("wrong shape", torch.zeros(2, 5)), ("None", None)])
vary(F, measure.count_flops, CF, "backward", FLAGS)

F = "measure.size_on_disk"
valid(F, measure.size_on_disk, {"model": Fresh(small_mlp)})
vary(F, measure.size_on_disk, {}, "model", MODELS + [("dict of str", {"a": "b"})])

F = "measure.latency"
LAT = {"model": Fresh(small_mlp), "inputs": torch.zeros(1, 4), "min_run_time": 0.001}
valid(F, measure.latency, LAT, deterministic=False)
vary(F, measure.latency, LAT, "model", MODELS)
vary(F, measure.latency, LAT, "inputs", [("list of floats", [1.0]), ("empty", []),
                                         ("wrong shape", torch.zeros(1, 5)), ("None", None)])
vary(F, measure.latency, LAT, "threads", counts(none_ok=True))
vary(F, measure.latency, LAT, "min_run_time", floats() + [("huge", 1e12)])

F = "measure.paired"
PAIR = {"calls": {"a": nn.Identity(), "b": nn.Identity()}, "inputs": torch.zeros(1, 4),
        "rounds": 2, "min_run_time": 0.001}
valid(F, measure.paired, PAIR, deterministic=False)
vary(F, measure.paired, PAIR, "calls", [("str", "ab"), ("one call", {"a": nn.Identity()}),
                                        ("empty", {}), ("not callable", {"a": 1, "b": 2}),
                                        ("None", None)])
vary(F, measure.paired, PAIR, "inputs", [("None", None), ("list of floats", [1.0])])
vary(F, measure.paired, PAIR, "rounds", counts())
vary(F, measure.paired, PAIR, "min_run_time", floats() + [("huge", 1e12)])
vary(F, measure.paired, PAIR, "threads", counts())

F = "measure.energy_estimate"
EN = {"flops": 1e18, "peak_flops_per_second": 1e14, "power_watts": 300}
valid(F, measure.energy_estimate, EN)
vary(F, measure.energy_estimate, EN, "flops", floats(zero_ok=True))
vary(F, measure.energy_estimate, EN, "peak_flops_per_second", floats())
vary(F, measure.energy_estimate, EN, "power_watts", floats())
vary(F, measure.energy_estimate, EN, "utilization", fractions(one_ok=True))
vary(F, measure.energy_estimate, EN, "pue", floats() + [("below 1", 0.5)])

F = "measure.Roofline"
valid(F, measure.Roofline, {"peak_flops": 1e9, "bandwidth": 1e9})
vary(F, measure.Roofline, {"bandwidth": 1e9}, "peak_flops", floats())
vary(F, measure.Roofline, {"peak_flops": 1e9}, "bandwidth", floats())
valid("measure.Roofline.ridge", lambda: ROOF.ridge, {})
F = "measure.Roofline.attainable"
valid(F, ROOF.attainable, {"intensity": [0.5, 2.0]})
vary(F, ROOF.attainable, {}, "intensity", floats() + [("empty", []), ("str list", ["a"])])
F = "measure.Roofline.fraction"
valid(F, ROOF.fraction, {"flop_per_s": 5e8, "intensity": 2.0})
valid(F, ROOF.fraction, {"flop_per_s": 8e8, "intensity": 0.5}, case="above the memory roof "
      "(a cached layer)")
vary(F, ROOF.fraction, {"intensity": 2.0}, "flop_per_s", floats())
vary(F, ROOF.fraction, {"flop_per_s": 5e8}, "intensity", floats())

F = "measure.speed_verdict"
if hasattr(measure, "speed_verdict"):
    valid(F, measure.speed_verdict, {"time_ratio": 0.5})
    vary(F, measure.speed_verdict, {}, "time_ratio", floats())
    vary(F, measure.speed_verdict, {"time_ratio": 0.5}, "band", floats() + [("one", 1.0)])

F = "measure.matmul_throughput"
MM = {"sizes": (8, 16), "min_run_time": 0.001}
valid(F, measure.matmul_throughput, MM, deterministic=False)
vary(F, measure.matmul_throughput, MM, "sizes", [("int", 8), ("empty", ()), ("str", "64"),
                                                  ("zero", (0,)), ("float", (8.5,)),
                                                  ("huge", (10**12,)), ("None", None)])
vary(F, measure.matmul_throughput, MM, "threads", counts(none_ok=True))
vary(F, measure.matmul_throughput, MM, "dtype", [("str", "float32"), ("int dtype", torch.int64),
                                                  ("numpy dtype", np.float32)])
vary(F, measure.matmul_throughput, MM, "min_run_time", floats() + [("huge", 1e12)])

F = "measure.memory_bandwidth"
MB = {"n_bytes": 2**16, "min_run_time": 0.001}
valid(F, measure.memory_bandwidth, MB, deterministic=False)
vary(F, measure.memory_bandwidth, MB, "n_bytes", counts())
vary(F, measure.memory_bandwidth, MB, "threads", counts(none_ok=True))
vary(F, measure.memory_bandwidth, MB, "min_run_time", floats() + [("huge", 1e12)])

F = "measure.measure_roofline"
MR = {"sizes": (8,), "n_bytes": 2**16, "threads": 1}
vary(F, measure.measure_roofline, MR, "sizes", [("empty", ()), ("zero", (0,)), ("huge", (10**12,))])
vary(F, measure.measure_roofline, MR, "n_bytes", counts())
vary(F, measure.measure_roofline, MR, "threads", counts(none_ok=True))

F = "measure.layer_costs"
LC = {"model": Fresh(small_mlp), "inputs": torch.zeros(2, 4)}
valid(F, measure.layer_costs, LC)
vary(F, measure.layer_costs, LC, "model", MODELS + [("no weights", nn.ReLU())])
vary(F, measure.layer_costs, LC, "inputs", [("list of floats", [1.0]), ("empty", []),
                                            ("wrong shape", torch.zeros(2, 5)), ("None", None)])
vary(F, measure.layer_costs, LC, "timed", FLAGS)
vary(F, measure.layer_costs, LC, "min_run_time", floats())

F = "measure.summary"
SUM = dict(label="int8", accuracy=0.93, baseline_accuracy=0.934, size_bytes=250_000,
           baseline_size_bytes=1_000_000, flops=4.7e5, baseline_flops=4.7e5, latency_ratio=0.5)
valid(F, measure.summary, SUM)
valid(F, lambda **kw: str(measure.summary(**kw)), SUM, case="str")
vary(F, measure.summary, SUM, "label", [("int", 3), ("empty", ""), ("None", None)])
vary(F, measure.summary, SUM, "accuracy", fractions(zero_ok=True, one_ok=True))
vary(F, measure.summary, SUM, "baseline_accuracy", fractions(zero_ok=True, one_ok=True))
vary(F, measure.summary, SUM, "size_bytes", counts(huge=False))
vary(F, measure.summary, SUM, "baseline_size_bytes", counts(huge=False))
vary(F, measure.summary, SUM, "flops", floats())
vary(F, measure.summary, SUM, "baseline_flops", floats())
vary(F, measure.summary, SUM, "latency_ratio", floats())

# =============================================================================== fit

F = "fit.fit_power_law"
PL = {"x": X_POW, "y": Y_POW, "n_boot": 10}
valid(F, fit.fit_power_law, PL)
valid(F, fit.fit_power_law, PL, case="no offset", offset=False, level=0.9, seed=np.int64(3))
for arg in ("x", "y"):
    vary(F, fit.fit_power_law, PL, arg, [("nan", np.r_[NAN, X_POW[1:]]), ("str", ["a"] * 6),
                                         ("2-D", np.ones((6, 2))), ("empty", []),
                                         ("negative", -X_POW), ("short", X_POW[:3]),
                                         ("None", None)])
vary(F, fit.fit_power_law, PL, "offset", FLAGS)
vary(F, fit.fit_power_law, PL, "n_boot", counts(zero_ok=True))
vary(F, fit.fit_power_law, PL, "level", fractions())
vary(F, fit.fit_power_law, PL, "seed", SEEDS)

F = "fit.fit_line"
LN = {"x": np.arange(6.0), "y": 2 * np.arange(6.0) + 1, "n_boot": 10}
valid(F, fit.fit_line, LN)
for arg in ("x", "y"):
    vary(F, fit.fit_line, LN, arg, [("nan", np.r_[NAN, np.arange(5.0)]), ("str", ["a"] * 6),
                                    ("2-D", np.ones((6, 2))), ("empty", []),
                                    ("inf", np.r_[INF, np.arange(5.0)]), ("None", None)])
vary(F, fit.fit_line, LN, "n_boot", counts(zero_ok=True))
vary(F, fit.fit_line, LN, "level", fractions())
vary(F, fit.fit_line, LN, "seed", SEEDS)

XS = [("nan", [1.0, NAN]), ("inf", [INF]), ("str", ["a"]), ("None", None)]
valid("fit.PowerLawFit.predict", POWFIT.predict, {"x": [10.0, 100.0]})
valid("fit.PowerLawFit.predict", POWFIT.predict, {"x": [[10.0], [100.0]]}, case="2-D grid")
vary("fit.PowerLawFit.predict", POWFIT.predict, {}, "x", XS + [("negative", [-1.0]),
                                                               ("zero", [0.0])])
valid("fit.PowerLawFit.band", POWFIT.band, {"x": [10.0, 100.0]})
vary("fit.PowerLawFit.band", POWFIT.band, {}, "x", XS + [("negative", [-1.0]),
                                                         ("2-D", [[1.0, 2.0]])])
valid("fit.PowerLawFit.halving_factor", POWFIT.halving_factor, {})
valid("fit.PowerLawFit.halving_factor_ci", POWFIT.halving_factor_ci, {})
valid("fit.PowerLawFit.x_for", POWFIT.x_for, {"y_target": 0.2})
vary("fit.PowerLawFit.x_for", POWFIT.x_for, {}, "y_target", floats())
valid("fit.PowerLawFit.notes", POWFIT.notes, {})
valid("fit.PowerLawFit.__str__", lambda: str(POWFIT), {})
valid("fit.LineFit.predict", LINEFIT.predict, {"x": [10.0, 100.0]})
vary("fit.LineFit.predict", LINEFIT.predict, {}, "x", XS)
valid("fit.LineFit.band", LINEFIT.band, {"x": [10.0, 100.0]})
vary("fit.LineFit.band", LINEFIT.band, {}, "x", XS + [("2-D", [[1.0, 2.0]])])
valid("fit.LineFit.__str__", lambda: str(LINEFIT), {})

# =============================================================================== plot


def with_axes(fn):
    def call(**kw):
        fig, ax = plt.subplots()
        try:
            if kw.get("ax", "unset") == "unset":
                kw["ax"] = ax
            out = fn(**kw)
            return out
        finally:
            plt.close("all")
    return call


def line_digest(line):
    return np.asarray(line.get_xydata())


valid("plot.use_style", plot.use_style, {})
F = "plot.log_axes"
LA = {"xlabel": "x", "ylabel": "y"}
valid(F, with_axes(lambda **kw: (kw["ax"].get_xscale(), plot.log_axes(**kw).get_yscale())), LA)
vary(F, with_axes(plot.log_axes), LA, "ax", [("str", "ax"), ("None", None)])
vary(F, with_axes(plot.log_axes), LA, "xlabel", [("int", 3), ("None", None)])
vary(F, with_axes(plot.log_axes), LA, "ylabel", [("int", 3), ("None", None)])
vary(F, with_axes(plot.log_axes), LA, "logx", FLAGS)
vary(F, with_axes(plot.log_axes), LA, "logy", FLAGS)

F = "plot.plot_fit"
PF = {"fit": POWFIT, "x_range": (10, 1000)}
valid(F, with_axes(lambda **kw: line_digest(plot.plot_fit(**kw))), PF)
valid(F, with_axes(lambda **kw: line_digest(plot.plot_fit(**kw))), {"fit": LINEFIT,
      "x_range": (-1, 5), "log_spaced": False, "transform": lambda y: 2**y, "n": 7},
      case="line, linear")
vary(F, with_axes(plot.plot_fit), PF, "ax", [("str", "ax"), ("None", None)])
vary(F, with_axes(plot.plot_fit), PF, "fit", [("str", "fit"), ("None", None)])
vary(F, with_axes(plot.plot_fit), PF, "x_range", [("nan", (NAN, 10)), ("one value", (1,)),
                                                  ("str", "ab"), ("decreasing", (10, 1)),
                                                  ("zero on log", (0, 10)), ("inf", (1, INF)),
                                                  ("None", None)])
vary(F, with_axes(plot.plot_fit), PF, "color", [("unknown", "nonsense-colour"), ("int", 3)])
vary(F, with_axes(plot.plot_fit), PF, "label", [("int", 3)])
vary(F, with_axes(plot.plot_fit), PF, "band", FLAGS)
vary(F, with_axes(plot.plot_fit), PF, "n", counts() + [("one", 1)])
vary(F, with_axes(plot.plot_fit), PF, "log_spaced", FLAGS)
vary(F, with_axes(plot.plot_fit), PF, "transform", [("str", "log"), ("int", 2)])


def new_figure_digest(**kw):
    try:
        fig, _ = plot.new_figure(**kw)
        return tuple(fig.get_size_inches())
    finally:
        plt.close("all")


F = "plot.new_figure"
valid(F, new_figure_digest, {})
valid(F, new_figure_digest, {"ncols": 2, "nrows": 2, "width": 5.0}, case="grid")
vary(F, new_figure_digest, {}, "ncols", counts())
vary(F, new_figure_digest, {}, "nrows", counts())
vary(F, new_figure_digest, {}, "width", floats(none_ok=True))
vary(F, new_figure_digest, {}, "height", floats(none_ok=True))

# =============================================================================== runtime


def restoring_seed_everything(**kw):
    return runtime.seed_everything(**kw).initial_seed()


F = "runtime.seed_everything"
valid(F, restoring_seed_everything, {"seed": 0})
valid(F, restoring_seed_everything, {"seed": np.int64(3)}, case="numpy int")
vary(F, restoring_seed_everything, {}, "seed", SEEDS)
F = "runtime.get_device"
valid(F, runtime.get_device, {})
valid(F, runtime.get_device, {"prefer": "cpu"}, case="cpu")
vary(F, runtime.get_device, {}, "prefer", [("unknown", "gpu"), ("int", 3), ("bool", True)])


def restoring_threads(fn):
    def call(**kw):
        before = torch.get_num_threads()
        try:
            return fn(**kw)
        finally:
            torch.set_num_threads(before)
    return call


F = "runtime.set_threads"
valid(F, restoring_threads(lambda **kw: runtime.set_threads(**kw) * 0), {"n": 1})
vary(F, restoring_threads(runtime.set_threads), {}, "n", counts())
F = "runtime.Ledger.add"
valid(F, lambda **kw: runtime.Ledger().add(**kw), {"label": "x", "flops": 10})
vary(F, lambda **kw: runtime.Ledger().add(**kw), {"label": "x"}, "flops", floats(zero_ok=True))
vary(F, lambda **kw: runtime.Ledger().add(**kw), {"flops": 1.0}, "label",
     [("int", 3), ("empty", ""), ("None", None)])
F = "runtime.record_flops"
valid(F, runtime.record_flops, {"label": "x", "flops": 10})
vary(F, runtime.record_flops, {"label": "x"}, "flops", floats(zero_ok=True))
vary(F, runtime.record_flops, {"flops": 1.0}, "label", [("int", 3), ("empty", ""), ("None", None)])
valid("runtime.start_ledger", lambda: runtime.start_ledger().flops, {})
valid("runtime.ledger", lambda: runtime.ledger().flops, {})
valid("runtime.default_threads", runtime.default_threads, {})


def setup(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return runtime.notebook_setup(**kw)
        finally:
            torch.set_num_threads(1)


F = "runtime.notebook_setup"
valid(F, setup, {})
vary(F, setup, {}, "seed", SEEDS)
vary(F, setup, {}, "threads", [("str", "two"), ("float", 1.5), ("bool", True), ("zero", 0),
                               ("negative", -1), ("huge", 10**12)])


def quiet(fn):
    def call(**kw):
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(**kw)
    return call


F = "runtime.cost_report"
valid(F, quiet(runtime.cost_report), {}, deterministic=False)
vary(F, quiet(runtime.cost_report), {}, "print_it", FLAGS)

# =============================================================================== claims

F = "claims.claim"
CL = {"holds": True, "statement": "it holds"}
valid(F, quiet(claims.claim), CL)
valid(F, quiet(claims.claim), CL, case="false, reader", holds=False)
valid(F, quiet(claims.claim), CL, case="numpy bool", holds=np.bool_(True))
valid(F, quiet(claims.claim), CL, case="0-d tensor bool", holds=torch.tensor(True))
vary(F, quiet(claims.claim), CL, "holds", [("int", 1), ("array", np.array([True, False])),
                                           ("None", None), ("str", "True"), ("float", 0.5)])
vary(F, quiet(claims.claim), CL, "statement", [("int", 3), ("empty", ""), ("blank", "  "),
                                               ("None", None)])


def strict_with(value):
    def call():
        old = os.environ.get("DLIMITS_STRICT")
        os.environ["DLIMITS_STRICT"] = value
        try:
            return claims.strict_mode()
        finally:
            os.environ["DLIMITS_STRICT"] = old
    return call


good("claims.strict_mode", "valid", strict_with("1"))
bad("claims.strict_mode", "DLIMITS_STRICT", "unknown value", strict_with("maybe"))

# =============================================================================== compress

F = "compress.keep_units"
KU = {"layer": Fresh(lambda: nn.Linear(6, 8)), "next_layer": Fresh(lambda: nn.Linear(8, 3)),
      "keep": 0.5}
valid(F, lambda **kw: compress.keep_units(**kw)[0].out_features, KU)
vary(F, compress.keep_units, KU, "layer", MODELS + [("conv", nn.Conv2d(1, 8, 3))])
vary(F, compress.keep_units, KU, "next_layer", MODELS + [("mismatched", nn.Linear(7, 3))])
vary(F, compress.keep_units, KU, "keep", fractions(one_ok=True))
vary(F, compress.keep_units, KU, "layer", [("nan weights", Fresh(lambda: nan_mlp()[0]))])

F = "compress.slim_mlp"
SL = {"model": Fresh(six_mlp), "keep": 0.5}
valid(F, compress.slim_mlp, SL)
vary(F, compress.slim_mlp, SL, "model", MODELS + [("no hidden", nn.Sequential(nn.Linear(4, 2))),
                                                  ("nan weights", Fresh(nan_mlp))])
vary(F, compress.slim_mlp, SL, "keep", fractions(one_ok=True))

F = "compress.prune_global"
PG = {"model": Fresh(six_mlp), "sparsity": 0.5}
valid(F, compress.prune_global, PG)
vary(F, compress.prune_global, PG, "model", MODELS + [("no linear", nn.ReLU()),
                                                      ("nan weights", Fresh(nan_mlp)),
                                                      ("inf weights", Fresh(inf_mlp))])
vary(F, compress.prune_global, PG, "sparsity", fractions(zero_ok=True, one_ok=True))

F = "compress.weight_sparsity"
valid(F, compress.weight_sparsity, {"model": Fresh(six_mlp)})
vary(F, compress.weight_sparsity, {}, "model", MODELS + [("no linear", nn.ReLU())])

F = "compress.affine_params"
AP = {"low": torch.tensor([-1.0]), "high": torch.tensor([1.0]), "bits": 4}
valid(F, compress.affine_params, AP)
for arg in ("low", "high"):
    vary(F, compress.affine_params, AP, arg, [("nan", torch.tensor([NAN])),
                                              ("inf", torch.tensor([INF])), ("str", "a"),
                                              ("None", None), ("bool", True)])
bad(F, "low", "low above high", lambda: compress.affine_params(torch.tensor([1.0]),
                                                               torch.tensor([-1.0]), 4),
    names=("low", "high"))
vary(F, compress.affine_params, AP, "bits", counts() + [("nine", 9)])

F = "compress.fake_quantize"
FQ = {"w": Fresh(lambda: torch.randn(4, 5)), "bits": 4}
valid(F, compress.fake_quantize, {"w": torch.tensor([[-1.0, -0.4, 0.0, 0.3, 0.5]]), "bits": 2})
valid(F, compress.fake_quantize, {"w": torch.tensor([[-1.0, -0.4, 0.0, 0.3, 0.5]] * 2),
                                  "bits": 3, "per_channel": False}, case="per tensor")
vary(F, compress.fake_quantize, FQ, "w", [("nan", Fresh(lambda: nan_tensor(4, 5))),
                                          ("inf", Fresh(lambda: inf_tensor(4, 5))),
                                          ("list", [[1.0, 2.0]]), ("empty", torch.zeros(0, 5)),
                                          ("0-d", torch.tensor(1.0)),
                                          ("int dtype", torch.ones(4, 5, dtype=torch.long)),
                                          ("None", None)])
vary(F, compress.fake_quantize, FQ, "bits", counts() + [("nine", 9)])
vary(F, compress.fake_quantize, FQ, "per_channel", FLAGS)

F = "compress.with_quantized_weights"
WQ = {"model": Fresh(six_mlp), "bits": 4}
valid(F, compress.with_quantized_weights, WQ)
valid(F, compress.with_quantized_weights, WQ, case="cnn, per tensor",
      model=Fresh(lambda: compress.half_res_cnn()), per_channel=False)
vary(F, compress.with_quantized_weights, WQ, "model", MODELS + [("no layer", nn.ReLU()),
                                                                ("nan weights", Fresh(nan_mlp)),
                                                                ("inf weights", Fresh(inf_mlp))])
vary(F, compress.with_quantized_weights, WQ, "bits", counts() + [("nine", 9)])
vary(F, compress.with_quantized_weights, WQ, "per_channel", FLAGS)

F = "compress.pack"
valid(F, compress.pack, WQ)


def conv_counted(fn):
    """A CNN's packed size must count its convolutions (or be refused)."""
    def call(**kw):
        out = fn(**kw)
        n_conv = sum(m.weight.numel() for m in kw["model"].modules() if isinstance(m, nn.Conv2d))
        state = compress.pack(kw["model"], kw["bits"])
        stored = sum(v.numel() for k, v in state.items() if k.endswith(".codes")) * 8
        n_linear = sum(m.weight.numel() for m in kw["model"].modules() if isinstance(m, nn.Linear))
        if stored < (n_conv + n_linear) * kw["bits"]:
            raise ProbeWrong("the convolutions are not counted")
        return out
    return call


PACK_CNN = Fresh(lambda: compress.half_res_cnn())
valid(F, conv_counted(compress.pack), {"model": PACK_CNN, "bits": 4}, case="cnn: convolutions "
      "counted", expect=lambda out: True)
vary(F, compress.pack, WQ, "model", MODELS + [("no layer", nn.ReLU()),
                                              ("nan weights", Fresh(nan_mlp)),
                                              ("inf weights", Fresh(inf_mlp)),
                                              ("batch norm", Fresh(lambda: nn.Sequential(
                                                  nn.Linear(4, 4), nn.BatchNorm1d(4))))])
vary(F, compress.pack, WQ, "bits", counts() + [("nine", 9)])
F = "compress.packed_size"
valid(F, compress.packed_size, WQ)
valid(F, conv_counted(compress.packed_size), {"model": PACK_CNN, "bits": 4},
      case="cnn: convolutions counted")
vary(F, compress.packed_size, WQ, "model", MODELS + [("nan weights", Fresh(nan_mlp)),
                                                     ("batch norm", Fresh(lambda: nn.Sequential(
                                                         nn.Linear(4, 4), nn.BatchNorm1d(4))))])
vary(F, compress.packed_size, WQ, "bits", counts() + [("nine", 9)])

F = "compress.factorise"
FA = {"linear": Fresh(lambda: nn.Linear(6, 4)), "rank": 2}
valid(F, compress.factorise, FA)
vary(F, compress.factorise, FA, "linear", MODELS + [("nan weights", Fresh(lambda: nan_mlp()[0])),
                                                    ("inf weights", Fresh(lambda: inf_mlp()[2]))])
vary(F, compress.factorise, FA, "rank", counts() + [("above min", 5)])

F = "compress.low_rank_first"
LR = {"model": Fresh(six_mlp), "rank": 2}
valid(F, compress.low_rank_first, LR)
vary(F, compress.low_rank_first, LR, "model", MODELS + [("empty", nn.Sequential()),
                                                        ("cnn first", Fresh(compress.half_res_cnn)),
                                                        ("nan weights", Fresh(nan_mlp))])
vary(F, compress.low_rank_first, LR, "rank", counts())

LOGITS = [("list", [[1.0, 2.0]]), ("nan", Fresh(lambda: nan_tensor(4, 3))),
          ("inf", Fresh(lambda: inf_tensor(4, 3))), ("1-D", torch.zeros(3)),
          ("empty", torch.zeros(0, 3)), ("int dtype", torch.ones(4, 3, dtype=torch.long)),
          ("None", None)]
F = "compress.soft_kl"
SK = {"z": Fresh(lambda: torch.randn(4, 3)), "v": Fresh(lambda: torch.randn(4, 3)), "T": 2.0}
valid(F, compress.soft_kl, SK, z=torch.ones(4, 3), v=torch.arange(12.0).reshape(4, 3))
vary(F, compress.soft_kl, SK, "z", LOGITS)
vary(F, compress.soft_kl, SK, "v", LOGITS + [("other shape", torch.zeros(4, 2))])
vary(F, compress.soft_kl, SK, "T", floats())

F = "compress.distill_loss"
DL = {**SK, "y": torch.tensor([0, 1, 2, 0]), "alpha": 0.5}


def t2_check(**kw):
    """scale_t2=False must drop T² (compared with the loss at T² = 1 by hand)."""
    out = compress.distill_loss(**kw)
    if isinstance(kw.get("scale_t2"), str):
        kw2 = dict(kw, scale_t2=True)
        if torch.equal(out, compress.distill_loss(**kw2)):
            raise ProbeWrong(f"scale_t2={kw['scale_t2']!r} still applied T²")
    return out


valid(F, compress.distill_loss, DL, z=torch.ones(4, 3), v=torch.arange(12.0).reshape(4, 3))
valid(F, compress.distill_loss, DL, case="no T²", z=torch.ones(4, 3),
      v=torch.arange(12.0).reshape(4, 3), scale_t2=False)
vary(F, compress.distill_loss, DL, "z", LOGITS)
vary(F, compress.distill_loss, DL, "v", LOGITS + [("other shape", torch.zeros(4, 2))])
vary(F, compress.distill_loss, DL, "y", [("float", torch.zeros(4)), ("out of range",
                                         torch.tensor([0, 1, 5, 0])), ("wrong length",
                                         torch.tensor([0, 1])), ("list", [0, 1, 2, 0]),
                                         ("None", None)])
vary(F, compress.distill_loss, DL, "T", floats())
vary(F, compress.distill_loss, {**DL, "alpha": 0.0}, "T", [("str, alpha 0", "1"),
                                                           ("nan, alpha 0", NAN)])
vary(F, compress.distill_loss, DL, "alpha", fractions(zero_ok=True, one_ok=True))
vary(F, t2_check, DL, "scale_t2", FLAGS)

F = "compress.distill"
DS = {"student": Fresh(lambda: models.mlp(4, [4], 3, seed=0)), "X": X4[:8], "y": Y4[:8],
      "teacher_logits": Fresh(lambda: torch.randn(8, 3)), "epochs": 1, "batch_size": 4}
valid(F, compress.distill, DS, teacher_logits=torch.arange(24.0).reshape(8, 3) / 10)
vary(F, compress.distill, DS, "student", MODELS)
vary(F, compress.distill, DS, "X", [("nan", Fresh(lambda: nan_tensor(8, 4))), ("list", [[1.0] * 4] * 8),
                                    ("empty", torch.zeros(0, 4)), ("wrong length", torch.zeros(5, 4)),
                                    ("None", None)])
vary(F, compress.distill, DS, "y", [("float", torch.zeros(8)), ("out of range", torch.full((8,), 9)),
                                    ("None", None)])
vary(F, compress.distill, DS, "teacher_logits", [("nan", Fresh(lambda: nan_tensor(8, 3))),
                                                 ("other shape", torch.zeros(8, 2)), ("None", None)])
vary(F, compress.distill, DS, "T", floats())
vary(F, compress.distill, {**DS, "alpha": 0.0}, "T", [("str, alpha 0", "1")])
vary(F, compress.distill, DS, "alpha", fractions(zero_ok=True, one_ok=True))
vary(F, compress.distill, DS, "epochs", counts(huge=False))
vary(F, compress.distill, DS, "lr", floats())
vary(F, compress.distill, DS, "batch_size", counts(huge=False))
vary(F, compress.distill, DS, "seed", SEEDS)
vary(F, compress.distill, DS, "label", [("int", 3), ("empty", ""), ("None", None)])

F = "compress.half_res_cnn"
valid(F, compress.half_res_cnn, {})
for arg in ("c1", "c2", "hidden"):
    vary(F, compress.half_res_cnn, {}, arg, counts())
vary(F, compress.half_res_cnn, {}, "k", counts() + [("even", 2)])
vary(F, compress.half_res_cnn, {}, "seed", SEEDS + [("None", None)])

# =============================================================================== bill

F = "bill.Hardware"
valid(F, bill.Hardware, {})
for f in ("peak_flop_per_s", "usd_per_gpu_hour", "kw_per_gpu"):
    vary(F, bill.Hardware, {}, f, floats())
vary(F, bill.Hardware, {}, "utilisation", fractions(one_ok=True))
vary(F, bill.Hardware, {}, "pue", floats() + [("below 1", 0.5)])
vary(F, bill.Hardware, {}, "kg_co2e_per_kwh", floats(zero_ok=True))

F = "bill.training_bill"
valid(F, bill.training_bill, {"flop": 1e21})
valid(F, bill.training_bill, {"flop": np.array([1e20, 1e21])}, case="array")
vary(F, bill.training_bill, {}, "flop", [("inf", INF), ("nan", NAN), ("negative", -1.0),
                                         ("empty", []), ("bool", True), ("str", "1e20"),
                                         ("None", None), ("inf in array", [1e20, INF])])
vary(F, bill.training_bill, {"flop": 1e21}, "hardware", [("str", "A100"), ("None", None)])

F = "bill.bill_after"
BA = {"bill": BILL, "years": 2.0}
valid(F, bill.bill_after, BA)
valid(F, bill.bill_after, BA, case="years array", years=np.array([0.0, 1.0, 5.0]), efficiency=10)
vary(F, bill.bill_after, BA, "bill", [("str", "bill"), ("None", None)])
vary(F, bill.bill_after, BA, "years", [("inf", INF), ("nan", NAN), ("negative", -1.0),
                                       ("empty", []), ("bool", True), ("str", "2"),
                                       ("None", None)])
for arg in ("algorithmic_halving_years", "hardware_halving_years", "efficiency"):
    vary(F, bill.bill_after, BA, arg, floats())

F = "bill.years_to_pay"
valid(F, bill.years_to_pay, {"factor": 8.0})
vary(F, bill.years_to_pay, {}, "factor", [("inf", INF), ("nan", NAN), ("negative", -1.0),
                                          ("zero", 0.0), ("empty", []), ("bool", True),
                                          ("str", "8"), ("None", None)])
for arg in ("algorithmic_halving_years", "hardware_halving_years", "efficiency"):
    vary(F, bill.years_to_pay, {"factor": 8.0}, arg, floats())

F = "bill.ComputeOptimalLaw"
LAWARGS = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
valid(F, bill.ComputeOptimalLaw, LAWARGS)
for arg in LAWARGS:
    vary(F, bill.ComputeOptimalLaw, LAWARGS, arg, floats())
valid("bill.ComputeOptimalLaw.gamma", lambda: LAW.gamma, {})
F = "bill.ComputeOptimalLaw.optimal"
valid(F, LAW.optimal, {"compute": 1e24})
vary(F, LAW.optimal, {}, "compute", [("inf", INF), ("nan", NAN), ("zero", 0.0),
                                     ("negative", -1.0), ("empty", []), ("bool", True),
                                     ("str", "1e24"), ("None", None)])
F = "bill.ComputeOptimalLaw.loss"
valid(F, LAW.loss, {"n": 1e9, "d": 2e10})
vary(F, LAW.loss, {"d": 2e10}, "n", [("zero", 0.0), ("negative", -1.0), ("nan", NAN),
                                     ("inf", INF), ("str", "1e9"), ("bool", True), ("empty", []),
                                     ("None", None)])
vary(F, LAW.loss, {"n": 1e9}, "d", [("zero", 0.0), ("negative", -1.0), ("nan", NAN),
                                    ("str", "2e10"), ("None", None)])
F = "bill.ComputeOptimalLaw.optimal_loss"
valid(F, LAW.optimal_loss, {"compute": 1e24})
vary(F, LAW.optimal_loss, {}, "compute", [("inf", INF), ("nan", NAN), ("zero", 0.0),
                                          ("bool", True), ("str", "1e24")])
F = "bill.ComputeOptimalLaw.compute_for_loss"
valid(F, LAW.compute_for_loss, {"target": 2.0})
vary(F, LAW.compute_for_loss, {}, "target", floats() + [("below E", 1.0)], names=("target",))

F = "bill.extrapolate_line"
valid(F, bill.extrapolate_line, {"fit": LOGFIT, "y_target": 0.05})
vary(F, bill.extrapolate_line, {"y_target": 0.05}, "fit", [("str", "fit"), ("None", None),
                                                          ("power law", POWFIT)])
vary(F, bill.extrapolate_line, {"fit": LOGFIT}, "y_target", floats(), names=("target",))
valid("bill.Bill.as_dict", BILL.as_dict, {})

# =============================================================================== explain

EXPL = [("str", "abc"), ("nan", [1.0, NAN, 2.0]), ("inf", [1.0, INF, 2.0]), ("empty", []),
        ("3-D", np.ones((2, 2, 3))), ("None", None), ("other shape", [1.0, 2.0])]
F = "explain.rank_agreement"
RA = {"a": [3.0, 2.0, 1.0], "b": [30.0, 10.0, 20.0]}
valid(F, explain.rank_agreement, RA)
valid(F, explain.rank_agreement, RA, case="tensor, 2-D", a=torch.tensor([[3.0, 2, 1]] * 2),
      b=np.array([[1.0, 2, 3], [3, 2, 1]]), absolute=False)
vary(F, explain.rank_agreement, RA, "a", EXPL + [("one feature", [1.0])], names=("a",))
vary(F, explain.rank_agreement, RA, "b", EXPL, names=("b",))
vary(F, explain.rank_agreement, RA, "absolute", FLAGS)

F = "explain.top_k_overlap"
TK = {"a": [0.9, 0.5, 0.1, 0.0], "b": [0.0, -0.8, 0.7, 0.1], "k": 2}
valid(F, explain.top_k_overlap, TK)
vary(F, explain.top_k_overlap, TK, "a", EXPL[:-1] + [("all zero", [0.0, 0.0, 0.0, 0.0])])
vary(F, explain.top_k_overlap, TK, "b", EXPL[:-1] + [("all zero", [0.0, 0.0, 0.0, 0.0])])
bad(F, "a", "both all zero", lambda: explain.top_k_overlap([0.0] * 4, [0.0] * 4, 2),
    names=("a", "b"))
vary(F, explain.top_k_overlap, TK, "k", counts() + [("above d", 5)])
vary(F, explain.top_k_overlap, TK, "absolute", FLAGS)

F = "explain.agreement_matrix"
AM = {"explanations": {"a": [3.0, 2, 1], "b": [30.0, 20, 10], "c": [1.0, 2, 3]}}
valid(F, explain.agreement_matrix, AM)
valid(F, explain.agreement_matrix, AM, case="top_k", metric="top_k", k=1)
vary(F, explain.agreement_matrix, AM, "explanations", [
    ("list", [[1.0, 2.0], [2.0, 1.0]]), ("one", {"a": [1.0, 2.0]}), ("empty", {}),
    ("nan", {"a": [1.0, NAN], "b": [1.0, 2.0]}), ("shapes differ", {"a": [1.0, 2.0],
                                                                   "b": [1.0, 2.0, 3.0]}),
    ("duplicate names", {1: [1.0, 2.0], "1": [2.0, 1.0]}), ("None", None)])
vary(F, explain.agreement_matrix, AM, "metric", OPTIONS)
vary(F, explain.agreement_matrix, {**AM, "metric": "top_k"}, "k", counts() + [("above d", 4)])
bad(F, "k", "k with spearman", lambda: explain.agreement_matrix(AM["explanations"], k=2))
vary(F, explain.agreement_matrix, AM, "absolute", FLAGS)

for F, fn in (("explain.deletion_curve", explain.deletion_curve),
              ("explain.insertion_curve", explain.insertion_curve)):
    DC = {"predict_fn": predict2, "X": XE, "attributions": ATTR}
    valid(F, fn, DC)
    valid(F, fn, DC, case="random order", attributions=None, order="random", seed=np.int64(2),
          steps=2, baseline=np.zeros(3), target=np.array([1, 0]), absolute=True)
    vary(F, fn, DC, "predict_fn", [("str", "predict"), ("None", None),
                                   ("wrong shape", lambda X: X[:, 0]),
                                   ("nan scores", lambda X: np.full((len(X), 2), NAN)),
                                   ("raises", lambda X: X["a"])])
    vary(F, fn, DC, "X", [("nan", np.array([[NAN, 1.0, 0.0], [1.0, 1.0, 0.0]])),
                          ("1-D", np.ones(3)), ("empty", np.ones((0, 3))), ("str", "X"),
                          ("None", None)])
    vary(F, fn, DC, "attributions", [("nan", [1.0, NAN, 0.0]), ("other shape", [1.0, 2.0]),
                                     ("None", None), ("str", "abc")])
    vary(F, fn, DC, "baseline", [("nan", NAN), ("str", "mean"), ("other shape", [0.0, 0.0]),
                                 ("None", None), ("inf", INF)])
    vary(F, fn, DC, "steps", counts(none_ok=True) + [("above d", 4)])
    vary(F, fn, DC, "target", [("float", np.array([0.5, 1.0])), ("out of range", [0, 5]),
                               ("wrong length", [0]), ("str", "a"), ("negative", [-1, 0])])
    vary(F, fn, DC, "order", OPTIONS)
    vary(F, fn, DC, "absolute", FLAGS)
    vary(F, fn, {**DC, "order": "random"}, "seed", SEEDS)
    vary(F, fn, DC, "seed", [("negative, attribution order", -1), ("str, attribution order", "0")])

CURVE = explain.deletion_curve(predict2, XE, ATTR)
valid("explain.Curve.auc", lambda: CURVE.auc, {})
valid("explain.Curve.frame", CURVE.frame, {})

F = "explain.fidelity"
valid(F, explain.fidelity, {"model_pred": [0, 1, 1, 2], "surrogate_pred": [0, 1, 2, 2]})
valid(F, explain.fidelity, {"model_pred": [[0.9, 0.1], [0.2, 0.8]], "surrogate_pred": [0, 0]},
      case="scores")
valid(F, explain.fidelity, {"model_pred": ["a", "b"], "surrogate_pred": ["a", "a"]},
      case="string labels")
for arg, other in (("model_pred", "surrogate_pred"), ("surrogate_pred", "model_pred")):
    FI = {other: [[0.9, 0.1], [0.2, 0.8]]}
    vary(F, explain.fidelity, FI, arg, [("nan row", [[NAN, NAN], [0.2, 0.8]]),
                                        ("inf row", [[INF, 0.0], [0.2, 0.8]]),
                                        ("non-integer", [0.5, 1.0]), ("empty", []),
                                        ("3-D", np.ones((2, 2, 2))), ("one column", [[1.0], [0.0]]),
                                        ("other length", [0, 1, 1]), ("None", None)])

# =============================================================================== exercises


def check_out(*conditions, exercise="ex-probe"):
    def call():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exercises.check(exercise, *conditions)
        return buf.getvalue()
    return call


F = "exercises.check"
good(F, "passed", check_out(("x", lambda: True)), expect=lambda out: "passed" in out)
good(F, "not yet (false)", check_out(("x", lambda: False)), expect=lambda out: "not yet" in out)
good(F, "not yet (undefined name)", check_out(("x", lambda: undefined_name > 0)),  # noqa: F821
     expect=lambda out: "not yet" in out)
good(F, "0-d tensor answer", check_out(("x", lambda: torch.tensor(0.95) > 0.9)),
     expect=lambda out: "passed" in out)
good(F, "0-d array answer", check_out(("x", lambda: np.array(0.95) > np.array(0.9))),
     expect=lambda out: "passed" in out)
good(F, "0-d tensor false", check_out(("x", lambda: torch.tensor(0.5) > 0.9)),
     expect=lambda out: "not yet" in out)
good(F, "tensor of many (a wrong answer)", check_out(("x", lambda: torch.ones(3) > 0.9)),
     expect=lambda out: "not yet" in out)
bad(F, "exercise", "int", check_out(("x", lambda: True), exercise=3))
bad(F, "exercise", "empty", check_out(("x", lambda: True), exercise=""))
bad(F, "conditions", "none", check_out(), names=("condition", "conditions"))
bad(F, "conditions", "not a pair", check_out(("x",)), names=("condition", "conditions"))
bad(F, "conditions", "not callable", check_out(("x", True)), names=("condition", "conditions"))
bad(F, "conditions", "returns a float", check_out(("x", lambda: 0.5)),
    names=("condition", "conditions"))
bad(F, "conditions", "returns None", check_out(("x", lambda: None)),
    names=("condition", "conditions"))

# =============================================================================== student

STRIP_CASES = [
    ("bare claim", "x = 1\nclaim(x > 0, 'p', x=x)\ny = 2", "x = 1\ny = 2"),
    ("dlimits.claim", "x = 1\ndlimits.claim(x > 0, 'p')\ny = 2", "x = 1\ny = 2"),
    ("claims.claim", "x = 1\nclaims.claim(x > 0, 'p')", "x = 1"),
    ("print(claim(...))", "x = 1\nprint(claim(x > 0, 'p'))", "x = 1"),
    ("inside an expression", "x = 1\n[claim(v > 0, 'p') for v in (x,)]", "x = 1"),
    ("shares a line (after)", "x = 1; claim(x > 0, 'p')\ny = 2", "x = 1\ny = 2"),
    ("shares a line (before)", "claim(True, 'p'); x = 1", "x = 1"),
    ("alias", "from dlimits.claims import claim as c\nc(True, 'p')\nx = 1",
     "from dlimits.claims import claim as c\nx = 1"),
    ("in a block", "if x:\n    claim(x, 'x')\ny = 2", "if x:\n    pass\ny = 2"),
]


def strip_probe(src, want):
    def call():
        return student.strip_claims(src)
    return call, (lambda out, want=want: out == want)


F = "student.strip_claims"
for case, src, want in STRIP_CASES:
    call, expect = strip_probe(src, want)
    good(F, case, call, expect=expect)
bad(F, "source", "int", lambda: student.strip_claims(3))
bad(F, "source", "None", lambda: student.strip_claims(None))
bad(F, "source", "does not parse", lambda: student.strip_claims("def broken(:\n"))


# ------------------------------------------------------------------------------ running


class ProbeTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProbeTimeout


def _names_argument(message: str, names) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", message)
               for n in names)


def _raised_in_package(err: BaseException) -> bool:
    tb = err.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and last.startswith(PACKAGE_DIR)


def _fingerprint(obj, h):
    if isinstance(obj, nn.Module):
        _fingerprint(dict(obj.state_dict()), h)
        h.update(repr(obj).encode())
    elif isinstance(obj, torch.Tensor):
        h.update(str((obj.dtype, tuple(obj.shape))).encode())
        h.update(obj.detach().cpu().contiguous().numpy().tobytes())
    elif isinstance(obj, np.ndarray):
        h.update(str((obj.dtype, obj.shape)).encode())
        h.update(obj.tobytes() if obj.dtype != object else repr(obj.tolist()).encode())
    elif isinstance(obj, pd.DataFrame | pd.Series):
        h.update(repr(obj.to_dict()).encode())
    elif isinstance(obj, dict):
        for k, v in obj.items():
            h.update(repr(k).encode())
            _fingerprint(v, h)
    elif isinstance(obj, list | tuple):
        h.update(f"{type(obj).__name__}{len(obj)}".encode())
        for v in obj:
            _fingerprint(v, h)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            if f.name not in ("info",):
                _fingerprint(getattr(obj, f.name), h)
    elif isinstance(obj, int | float | str | bool | type(None) | np.generic | torch.device):
        h.update(repr(obj).encode())
    else:
        h.update(type(obj).__name__.encode())


def fingerprint(obj) -> str:
    h = hashlib.sha256()
    _fingerprint(obj, h)
    return h.hexdigest()[:16]


def run_probe(p: Probe) -> tuple[str, str, object]:
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the probes reset every global stream
    torch.manual_seed(0)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = p.call()
    except ProbeTimeout:
        return "silent", f"ran past {TIME_LIMIT_S:g} s", None
    except ProbeWrong as err:
        return "silent", f"wrong answer: {err}", None
    except BaseException as err:  # noqa: BLE001 - a probe reports every kind of failure
        signal.setitimer(signal.ITIMER_REAL, 0)
        if isinstance(err, KeyboardInterrupt):
            raise
        if p.valid:
            return "refused", f"{type(err).__name__}: {err}", None
        message = str(err)
        if (isinstance(err, ValueError | TypeError) and _raised_in_package(err)
                and _names_argument(message, p.names)):
            return "clear", f"{type(err).__name__}: {message}", None
        where = "in dlimits" if _raised_in_package(err) else "outside dlimits"
        return "unclear", f"{type(err).__name__} ({where}): {message}", None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if p.valid:
        if p.expect is not None and not p.expect(result):
            return "silent", f"wrong answer: {str(result)[:80]!r}", None
        return "valid", "", result
    return "silent", f"returned {type(result).__name__}: {str(result)[:80]!r}", None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every probe that is not clear or valid")
    parser.add_argument("--all", action="store_true", help="print every probe")
    parser.add_argument("--digest", type=Path, help="write fingerprints of valid results here")
    args = parser.parse_args(argv)
    os.environ["DLIMITS_STRICT"] = "0"  # a false claim prints a note, as for a reader
    # an absurd size must be refused, not allocated: cap the address space
    resource.setrlimit(resource.RLIMIT_AS, (16 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
    signal.signal(signal.SIGALRM, _alarm)
    tally: Counter = Counter()
    by_function: dict[str, Counter] = {}
    digests = {}
    lines = []
    for p in PROBES:
        klass, detail, result = run_probe(p)
        tally[klass] += 1
        by_function.setdefault(p.function, Counter())[klass] += 1
        key = f"{p.function} [{p.arg}: {p.case}]"
        if klass == "valid" and p.deterministic:
            name = key
            while name in digests:
                name += "#"
            digests[name] = fingerprint(result)
        if args.all or (args.verbose and klass not in ("clear", "valid")):
            lines.append(f"{klass:8s} {key}: {detail[:200]}".replace("\n", " "))
    plt.close("all")
    if lines:
        print("\n".join(lines))
        print()
    functions = len(by_function)
    print(f"{len(PROBES)} probes of {functions} public functions and methods of dlimits")
    for klass, words in (("clear", "clear error (names the argument)"),
                         ("unclear", "unclear error"),
                         ("silent", "silent wrong answer"),
                         ("valid", "valid input, answered"),
                         ("refused", "valid input, refused")):
        print(f"  {words:34s} {tally[klass]:4d}")
    if args.digest:
        args.digest.write_text(json.dumps(digests, indent=0))
        print(f"fingerprints of {len(digests)} valid results written to {args.digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
