"""Every public function of dlimits refuses nonsense with an error that says what was wrong.

Each case calls one function with one argument made nonsensical — a string "False"/"no" or a
number where a bool goes, a bad seed, NaN or infinity, a wrong type or a bool where a number
goes, an empty input, a negative or zero size, an absurd size (refused before anything is
allocated), a wrong shape or dtype — and requires a ``ValueError`` or ``TypeError`` *raised by
dlimits* (not deep inside NumPy, PyTorch, scikit-learn or matplotlib) whose message names the
argument. ``tests/unit/probe_dlimits.py`` probes the same ground more widely and counts.

The last tests check answers that used to be silently wrong: the packed size of a CNN, the T²
of the distillation loss, the verdict of an exercise check on a 0-d tensor.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

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

PACKAGE = Path(data.__file__).parent
BOOKTOOLS = Path(student.__file__).parent
NAN, INF = float("nan"), float("inf")
HUGE = 10**12

SPLIT = data.teacher_student(40, 20, n_features=4, task="classification", n_classes=3, seed=0)
X4 = torch.as_tensor(SPLIT.X_test)
Y4 = torch.as_tensor(SPLIT.y_test)
XP = np.array([10, 20, 40, 80, 160, 320.0])
POWFIT = fit.fit_power_law(XP, 3 * XP**-0.5 + 0.1, n_boot=5)
LINEFIT = fit.fit_line(np.arange(5.0), 2 * np.arange(5.0) + 1, n_boot=5)
ROOF = measure.Roofline(1e9, 1e9)
LAW = bill.ComputeOptimalLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
BILL = bill.training_bill(1e21)
XE = np.array([[1.0, 1.0, 0.5], [2.0, 1.0, -0.5]])


def net():
    return models.mlp(4, [8], 3, seed=0)


def nan_net():
    model = models.mlp(6, [5], 3, seed=0)
    with torch.no_grad():
        model[0].weight[0, 0] = NAN
    return model


def inf_tensor(*shape):
    t = torch.randn(*shape)
    t.view(-1)[0] = INF
    return t


def nan_tensor(*shape):
    t = torch.randn(*shape)
    t.view(-1)[0] = NAN
    return t


def predict(X):
    p = 1 / (1 + np.exp(-(2 * X[:, 0] + X[:, 1])))
    return np.column_stack([1 - p, p])


def on_axes(fn, **kw):
    fig, ax = plt.subplots()
    try:
        return fn(ax, **kw)
    finally:
        plt.close(fig)


def assert_clear(call, name: str):
    """``call()`` raises a ValueError/TypeError from dlimits whose message names ``name``."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message), (
        f"the message does not name {name!r}: {message}")
    raised_in = Path(info.traceback[-1].path)
    assert PACKAGE in raised_in.parents or BOOKTOOLS in raised_in.parents, (
        f"raised in {raised_in}, not by dlimits itself: {type(info.value).__name__}: {message}")


def cases(table):
    return [pytest.param(call, name, id=label) for label, name, call in table]


# ----------------------------------------------------------------- strings and numbers as flags

FLAGS = [("str False", "False"), ("str no", "no"), ("int 1", 1), ("None", None)]
FLAG_CALLS = [
    ("known_importance_task", "nonlinear",
     lambda v: data.known_importance_task(20, 10, nonlinear=v)),
    ("evaluate", "record", lambda v: train.evaluate(net(), X4, Y4, record=v)),
    ("count_parameters", "trainable_only", lambda v: measure.count_parameters(net(),
                                                                              trainable_only=v)),
    ("count_parameters", "nonzero", lambda v: measure.count_parameters(net(), nonzero=v)),
    ("count_flops", "backward", lambda v: measure.count_flops(net(), X4[:2], backward=v)),
    ("layer_costs", "timed", lambda v: measure.layer_costs(net(), X4[:2], timed=v)),
    ("fit_power_law", "offset", lambda v: fit.fit_power_law(XP, 1 / XP, offset=v, n_boot=0)),
    ("log_axes", "logx", lambda v: on_axes(plot.log_axes, xlabel="x", ylabel="y", logx=v)),
    ("log_axes", "logy", lambda v: on_axes(plot.log_axes, xlabel="x", ylabel="y", logy=v)),
    ("plot_fit", "band", lambda v: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9), band=v)),
    ("plot_fit", "log_spaced", lambda v: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9),
                                                 log_spaced=v)),
    ("cost_report", "print_it", lambda v: runtime.cost_report(print_it=v)),
    ("fake_quantize", "per_channel", lambda v: compress.fake_quantize(torch.randn(3, 4), 4, v)),
    ("with_quantized_weights", "per_channel",
     lambda v: compress.with_quantized_weights(net(), 4, per_channel=v)),
    ("distill_loss", "scale_t2", lambda v: compress.distill_loss(
        torch.randn(4, 3), torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), 2.0, 0.5, v)),
    ("rank_agreement", "absolute", lambda v: explain.rank_agreement([1, 2, 3], [3, 2, 1],
                                                                    absolute=v)),
    ("top_k_overlap", "absolute", lambda v: explain.top_k_overlap([1, 2, 3], [3, 2, 1], 1,
                                                                  absolute=v)),
    ("agreement_matrix", "absolute", lambda v: explain.agreement_matrix(
        {"a": [1, 2, 3], "b": [3, 2, 1]}, absolute=v)),
    ("deletion_curve", "absolute", lambda v: explain.deletion_curve(predict, XE, [2, 1, 0.5],
                                                                    absolute=v)),
    ("insertion_curve", "absolute", lambda v: explain.insertion_curve(predict, XE, [2, 1, 0.5],
                                                                      absolute=v)),
]


@pytest.mark.parametrize("value", [v for _, v in FLAGS], ids=[k for k, _ in FLAGS])
@pytest.mark.parametrize("call, name", [pytest.param(c, n, id=f"{f}-{n}")
                                        for f, n, c in FLAG_CALLS])
def test_a_flag_must_be_a_bool(call, name, value):
    assert_clear(lambda: call(value), name)


# ----------------------------------------------------------------------------------- seeds

SEEDS = [("negative", -1), ("float", 1.5), ("bool", True), ("str", "0"), ("2**40", 2**40)]
SEED_CALLS = [
    ("Split.subsample", lambda s: SPLIT.subsample(20, seed=s)),
    ("load", lambda s: data.load("wine", seed=s)),
    ("teacher_student", lambda s: data.teacher_student(10, 5, seed=s)),
    ("known_importance_task", lambda s: data.known_importance_task(10, 5, seed=s)),
    ("mlp", lambda s: models.mlp(4, [3], 2, seed=s)),
    ("cnn", lambda s: baselines.cnn(s, channels=(2, 2), hidden=4)),
    ("untrained", lambda s: baselines.untrained("mlp", seed=s)),
    ("baseline", lambda s: baselines.baseline("mlp", seed=s)),
    ("fit", lambda s: train.fit(net(), SPLIT, steps=1, seed=s, device="cpu")),
    ("fit_power_law", lambda s: fit.fit_power_law(XP, 1 / XP, n_boot=2, seed=s)),
    ("fit_line", lambda s: fit.fit_line([1, 2, 3], [3, 2, 1], n_boot=2, seed=s)),
    ("seed_everything", lambda s: runtime.seed_everything(s)),
    ("notebook_setup", lambda s: runtime.notebook_setup(seed=s, threads=None)),
    ("distill", lambda s: compress.distill(net(), X4[:4], Y4[:4], torch.zeros(4, 3), seed=s)),
    ("half_res_cnn", lambda s: compress.half_res_cnn(seed=s)),
    ("deletion_curve", lambda s: explain.deletion_curve(predict, XE, order="random", seed=s)),
    ("insertion_curve", lambda s: explain.insertion_curve(predict, XE, [2, 1, 0.5], seed=s)),
]


@pytest.mark.parametrize("seed", [v for _, v in SEEDS], ids=[k for k, _ in SEEDS])
@pytest.mark.parametrize("call", [pytest.param(c, id=f) for f, c in SEED_CALLS])
def test_a_seed_is_an_integer_in_0_to_2_to_the_32(call, seed):
    assert_clear(lambda: call(seed), "seed")


# ------------------------------------------------------------------------- NaN and infinity

NON_FINITE = [
    ("fake_quantize nan", "w", lambda: compress.fake_quantize(nan_tensor(3, 4), 4)),
    ("fake_quantize inf", "w", lambda: compress.fake_quantize(inf_tensor(3, 4), 4)),
    ("with_quantized_weights", "model", lambda: compress.with_quantized_weights(nan_net(), 4)),
    ("pack", "model", lambda: compress.pack(nan_net(), 4)),
    ("packed_size", "model", lambda: compress.packed_size(nan_net(), 4)),
    ("factorise", "linear", lambda: compress.factorise(nan_net()[0], 2)),
    ("low_rank_first", "model", lambda: compress.low_rank_first(nan_net(), 2)),
    ("keep_units", "layer", lambda: compress.keep_units(nan_net()[0], nn.Linear(5, 3), 0.5)),
    ("slim_mlp", "model", lambda: compress.slim_mlp(nan_net(), 0.5)),
    ("prune_global", "model", lambda: compress.prune_global(nan_net(), 0.5)),
    ("affine_params", "low", lambda: compress.affine_params(torch.tensor([NAN]),
                                                            torch.tensor([1.0]), 4)),
    ("soft_kl", "z", lambda: compress.soft_kl(nan_tensor(4, 3), torch.randn(4, 3), 2.0)),
    ("distill_loss", "v", lambda: compress.distill_loss(
        torch.randn(4, 3), inf_tensor(4, 3), torch.tensor([0, 1, 2, 0]), 2.0, 0.5)),
    ("distill X", "X", lambda: compress.distill(net(), nan_tensor(4, 4), Y4[:4],
                                                torch.zeros(4, 3))),
    ("distill teacher_logits", "teacher_logits",
     lambda: compress.distill(net(), X4[:4], Y4[:4], nan_tensor(4, 3))),
    ("evaluate X", "X", lambda: train.evaluate(net(), nan_tensor(20, 4), Y4, record=False)),
    ("evaluate y", "y", lambda: train.evaluate(models.mlp(4, [3], 1), X4, torch.full((20,), NAN),
                                               task="regression", record=False)),
    ("training_bill nan", "flop", lambda: bill.training_bill(NAN)),
    ("training_bill inf", "flop", lambda: bill.training_bill(INF)),
    ("bill_after", "years", lambda: bill.bill_after(BILL, INF)),
    ("years_to_pay", "factor", lambda: bill.years_to_pay(INF)),
    ("optimal", "compute", lambda: LAW.optimal(INF)),
    ("optimal_loss", "compute", lambda: LAW.optimal_loss(INF)),
    ("loss", "n", lambda: LAW.loss(NAN, 1e10)),
    ("fidelity nan row", "model_pred", lambda: explain.fidelity([[NAN, NAN], [0.2, 0.8]], [0, 1])),
    ("fidelity inf row", "surrogate_pred",
     lambda: explain.fidelity([0, 1], [[INF, 0.0], [0.2, 0.8]])),
    ("deletion_curve scores", "predict_fn",
     lambda: explain.deletion_curve(lambda X: np.full((len(X), 2), NAN), XE, [2, 1, 0.5])),
    ("PowerLawFit.predict", "x", lambda: POWFIT.predict([10.0, NAN])),
    ("PowerLawFit.band", "x", lambda: POWFIT.band([INF])),
    ("LineFit.predict", "x", lambda: LINEFIT.predict([NAN])),
    ("LineFit.band", "x", lambda: LINEFIT.band([1.0, INF])),
    ("plot_fit", "x_range", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, INF))),
    ("Roofline.attainable", "intensity", lambda: ROOF.attainable([1.0, NAN])),
    ("fit_line", "x", lambda: fit.fit_line([1.0, NAN, 3.0], [1.0, 2.0, 3.0])),
]


@pytest.mark.parametrize("call, name", cases(NON_FINITE))
def test_nan_and_infinity_are_refused(call, name):
    assert_clear(call, name)


# ------------------------------------------------- wrong types, and bools where numbers go

WRONG_TYPES = [
    ("Split name", "name", lambda: data.Split(np.ones((2, 1)), [0, 1], np.ones((2, 1)), [0, 1],
                                              "classification", 2, 3)),
    ("Split info", "info", lambda: data.Split(np.ones((2, 1)), [0, 1], np.ones((2, 1)), [0, 1],
                                              "classification", 2, "toy", "facts")),
    ("Split.tensors", "device", lambda: SPLIT.tensors("gpu0")),
    ("table", "nonsense_option", lambda: data.table("compute_record", nonsense_option=1)),
    ("table name", "name", lambda: data.table("no such table")),
    ("cnn channels", "channels", lambda: baselines.cnn(channels=(4, 8, 16))),
    ("untrained", "name", lambda: baselines.untrained("resnet")),
    ("evaluate X", "X", lambda: train.evaluate(net(), None, Y4)),
    ("fit device", "device", lambda: train.fit(net(), SPLIT, steps=1, device="gpu0")),
    ("fit label", "label", lambda: train.fit(net(), SPLIT, steps=1, device="cpu", label=3)),
    ("size_on_disk", "model", lambda: measure.size_on_disk({"a": "b"})),
    ("paired calls", "calls", lambda: measure.paired(None, torch.zeros(1, 4))),
    ("paired not callable", "calls", lambda: measure.paired({"a": 1, "b": 2}, torch.zeros(1))),
    ("Roofline.attainable", "intensity", lambda: ROOF.attainable("high")),
    ("Roofline.fraction", "intensity", lambda: ROOF.fraction(5e8, True)),
    ("matmul_throughput dtype", "dtype", lambda: measure.matmul_throughput(
        (8,), dtype=torch.int64, min_run_time=0.001)),
    ("layer_costs min_run_time", "min_run_time",
     lambda: measure.layer_costs(net(), X4[:2], min_run_time="fast")),
    ("summary accuracy", "accuracy", lambda: measure.summary(
        "x", accuracy="0.9", baseline_accuracy=0.9, size_bytes=1, baseline_size_bytes=1,
        flops=1.0, baseline_flops=1.0, latency_ratio=1.0)),
    ("summary bool", "baseline_accuracy", lambda: measure.summary(
        "x", accuracy=0.9, baseline_accuracy=True, size_bytes=1, baseline_size_bytes=1,
        flops=1.0, baseline_flops=1.0, latency_ratio=1.0)),
    ("fit_power_law", "x", lambda: fit.fit_power_law(["a"] * 6, XP)),
    ("LineFit.band", "x", lambda: LINEFIT.band(None)),
    ("log_axes", "xlabel", lambda: on_axes(plot.log_axes, xlabel=3, ylabel="y")),
    ("plot_fit ax", "ax", lambda: plot.plot_fit(None, POWFIT, (1, 9))),
    ("plot_fit x_range", "x_range", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1,))),
    ("plot_fit color", "color", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9),
                                                color="nonsense-colour")),
    ("plot_fit n", "n", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9), n=True)),
    ("new_figure", "ncols", lambda: plot.new_figure("2")),
    ("new_figure width", "width", lambda: plot.new_figure(width=True)),
    ("get_device", "prefer", lambda: runtime.get_device("gpu")),
    ("notebook_setup", "threads", lambda: runtime.notebook_setup(threads="two")),
    ("claim", "holds", lambda: claims.claim(1, "one is true")),
    ("keep_units", "next_layer", lambda: compress.keep_units(nn.Linear(4, 3), "next", 0.5)),
    ("slim_mlp", "model", lambda: compress.slim_mlp(nn.Linear(4, 2), 0.5)),
    ("affine_params", "high", lambda: compress.affine_params(torch.tensor([-1.0]), True, 4)),
    ("affine_params order", "low", lambda: compress.affine_params(torch.tensor([1.0]),
                                                                  torch.tensor([-1.0]), 4)),
    ("with_quantized_weights", "model", lambda: compress.with_quantized_weights("net", 4)),
    ("pack", "model", lambda: compress.pack(None, 4)),
    ("factorise", "linear", lambda: compress.factorise(nn.Conv2d(1, 2, 3), 1)),
    ("soft_kl", "z", lambda: compress.soft_kl([[1.0, 2.0]], torch.zeros(1, 2), 1.0)),
    ("distill_loss T", "T", lambda: compress.distill_loss(
        torch.zeros(2, 2), torch.zeros(2, 2), torch.tensor([0, 1]), "1", 0.0)),
    ("distill_loss y", "y", lambda: compress.distill_loss(
        torch.zeros(2, 2), torch.zeros(2, 2), [0, 1], 1.0, 0.5)),
    ("distill student", "student", lambda: compress.distill("student", X4[:4], Y4[:4],
                                                            torch.zeros(4, 3))),
    ("distill label", "label", lambda: compress.distill(net(), X4[:4], Y4[:4],
                                                        torch.zeros(4, 3), label=3)),
    ("training_bill bool", "flop", lambda: bill.training_bill(True)),
    ("training_bill str", "flop", lambda: bill.training_bill("1e20")),
    ("bill_after", "years", lambda: bill.bill_after(BILL, "2")),
    ("years_to_pay", "factor", lambda: bill.years_to_pay(True)),
    ("optimal", "compute", lambda: LAW.optimal("1e24")),
    ("loss", "d", lambda: LAW.loss(1e9, "2e10")),
    ("extrapolate_line", "fit", lambda: bill.extrapolate_line(POWFIT, 0.05)),
    ("deletion_curve", "baseline", lambda: explain.deletion_curve(predict, XE, [2, 1, 0.5],
                                                                  baseline="mean")),
    ("insertion_curve", "predict_fn", lambda: explain.insertion_curve(
        lambda X: X["a"], XE, [2, 1, 0.5])),
    ("agreement_matrix", "explanations", lambda: explain.agreement_matrix(
        {1: [1.0, 2.0], "1": [2.0, 1.0]})),
    ("check", "conditions", lambda: exercises.check("ex-x")),
    ("strip_claims", "source", lambda: student.strip_claims(None)),
    ("strip_claims parse", "source", lambda: student.strip_claims("def broken(:\n")),
]


@pytest.mark.parametrize("call, name", cases(WRONG_TYPES))
def test_wrong_types_are_refused(call, name):
    assert_clear(call, name)


# ------------------------------------------------------------ empty, zero and negative input

EMPTY_ZERO_NEGATIVE = [
    ("training_bill empty", "flop", lambda: bill.training_bill([])),
    ("bill_after empty", "years", lambda: bill.bill_after(BILL, [])),
    ("years_to_pay empty", "factor", lambda: bill.years_to_pay([])),
    ("optimal empty", "compute", lambda: LAW.optimal([])),
    ("loss zero", "n", lambda: LAW.loss(0.0, 1e10)),
    ("loss negative", "d", lambda: LAW.loss(1e9, -1.0)),
    ("top_k_overlap zeros", "a", lambda: explain.top_k_overlap([0.0] * 4, [0.0] * 4, 2)),
    ("top_k_overlap one row tied", "b", lambda: explain.top_k_overlap(
        [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], [[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]], 1)),
    ("low_rank_first empty", "model", lambda: compress.low_rank_first(nn.Sequential(), 2)),
    ("fake_quantize int", "w", lambda: compress.fake_quantize(torch.ones(2, 3, dtype=torch.long),
                                                              4)),
    ("soft_kl empty", "z", lambda: compress.soft_kl(torch.zeros(0, 3), torch.zeros(0, 3), 1.0)),
    ("PowerLawFit.predict zero", "x", lambda: POWFIT.predict([0.0])),
    ("PowerLawFit.predict negative", "x", lambda: POWFIT.predict(-1.0)),
    ("plot_fit n zero", "n", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9), n=0)),
    ("new_figure width zero", "width", lambda: plot.new_figure(width=0.0)),
    ("new_figure nrows negative", "nrows", lambda: plot.new_figure(nrows=-1)),
    ("measure_roofline sizes", "sizes", lambda: measure.measure_roofline(sizes=(0,))),
    ("set_threads zero", "n", lambda: runtime.set_threads(0)),
    ("check statement", "statement", lambda: claims.claim(True, "  ")),
]


@pytest.mark.parametrize("call, name", cases(EMPTY_ZERO_NEGATIVE))
def test_empty_zero_and_negative_inputs_are_refused(call, name):
    assert_clear(call, name)


# ------------------------------------------------------- absurd sizes, refused before allocating

ABSURD = [
    ("mlp width", "hidden", lambda: models.mlp(4, [HUGE], 2)),
    ("mlp inputs", "n_inputs", lambda: models.mlp(HUGE, [4], 2)),
    ("cnn channels", "channels", lambda: baselines.cnn(channels=(HUGE, 1))),
    ("cnn hidden", "hidden", lambda: baselines.cnn(hidden=HUGE)),
    ("half_res_cnn", "c2", lambda: compress.half_res_cnn(c2=HUGE)),
    ("teacher_student", "n_train", lambda: data.teacher_student(HUGE)),
    ("teacher_student classes", "n_classes", lambda: data.teacher_student(
        10, 5, task="classification", n_classes=HUGE)),
    ("known_importance_task", "n_features", lambda: data.known_importance_task(
        10, 5, n_features=HUGE)),
    ("memory_bandwidth", "n_bytes", lambda: measure.memory_bandwidth(HUGE)),
    ("matmul_throughput", "sizes", lambda: measure.matmul_throughput((HUGE,))),
    ("latency threads", "threads", lambda: measure.latency(net(), X4[:1], threads=HUGE)),
    ("latency time", "min_run_time", lambda: measure.latency(net(), X4[:1], min_run_time=1e12)),
    ("paired rounds", "rounds", lambda: measure.paired({"a": net(), "b": net()}, X4[:1],
                                                       rounds=HUGE)),
    ("plot_fit n", "n", lambda: on_axes(plot.plot_fit, fit=POWFIT, x_range=(1, 9), n=HUGE)),
    ("new_figure", "ncols", lambda: plot.new_figure(HUGE)),
    ("set_threads", "n", lambda: runtime.set_threads(HUGE)),
    ("notebook_setup", "threads", lambda: runtime.notebook_setup(threads=HUGE)),
    ("fit_power_law", "n_boot", lambda: fit.fit_power_law(XP, 1 / XP, n_boot=HUGE)),
    ("fit_line", "n_boot", lambda: fit.fit_line([1, 2, 3], [3, 2, 1], n_boot=HUGE)),
]


@pytest.mark.parametrize("call, name", cases(ABSURD))
def test_absurd_sizes_are_refused_before_anything_is_allocated(call, name):
    assert_clear(call, name)


# --------------------------------------------------------------------- wrong shapes and dtypes

SHAPES = [
    ("evaluate features", "X", lambda: train.evaluate(net(), torch.zeros(20, 5), Y4,
                                                      record=False)),
    ("evaluate labels", "y", lambda: train.evaluate(net(), X4, torch.full((20,), 7),
                                                    record=False)),
    ("count_flops", "inputs", lambda: measure.count_flops(net(), torch.zeros(2, 5))),
    ("latency", "inputs", lambda: measure.latency(net(), torch.zeros(1, 5), min_run_time=0.001)),
    ("layer_costs", "inputs", lambda: measure.layer_costs(net(), torch.zeros(2, 5))),
    ("soft_kl 1-D", "z", lambda: compress.soft_kl(torch.zeros(3), torch.zeros(3), 1.0)),
    ("soft_kl shapes", "v", lambda: compress.soft_kl(torch.zeros(4, 3), torch.zeros(4, 2), 1.0)),
    ("distill_loss y float", "y", lambda: compress.distill_loss(
        torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2), 1.0, 0.5)),
    ("distill_loss y range", "y", lambda: compress.distill_loss(
        torch.zeros(2, 2), torch.zeros(2, 2), torch.tensor([0, 5]), 1.0, 0.5)),
    ("distill teacher_logits", "teacher_logits", lambda: compress.distill(
        net(), X4[:4], torch.tensor([0, 1, 0, 1]), torch.zeros(4, 2))),
    ("PowerLawFit.band 2-D", "x", lambda: POWFIT.band([[1.0, 2.0]])),
    ("pack batch norm", "model", lambda: compress.pack(
        nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)), 4)),
    ("packed_size batch norm", "model", lambda: compress.packed_size(
        nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)), 4)),
]


@pytest.mark.parametrize("call, name", cases(SHAPES))
def test_wrong_shapes_and_dtypes_are_refused(call, name):
    assert_clear(call, name)


# ------------------------------------------------------------- answers that were silently wrong


def test_packed_size_counts_a_cnns_convolutions():
    cnn = compress.half_res_cnn()
    state = compress.pack(cnn, 4)
    layers = [m for m in cnn.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
    coded = sum(v.numel() for k, v in state.items() if k.endswith(".codes"))
    assert coded == sum(-(-m.weight.numel() * 4 // 8) for m in layers)  # 4 bits a weight
    assert {"2.codes", "5.codes"} <= set(state), "both convolutions are packed"
    assert compress.packed_size(cnn, 4) > compress.packed_size(
        nn.Sequential(*[m for m in cnn if not isinstance(m, nn.Conv2d)]), 4)


def test_scale_t2_false_drops_the_t_squared():
    z, v, y = torch.ones(4, 3), torch.arange(12.0).reshape(4, 3), torch.tensor([0, 1, 2, 0])
    with_t2 = compress.distill_loss(z, v, y, 4.0, 1.0, scale_t2=True)
    without = compress.distill_loss(z, v, y, 4.0, 1.0, scale_t2=False)
    assert float(with_t2) == pytest.approx(16 * float(without))


@pytest.mark.parametrize("condition, verdict", [
    (lambda: torch.tensor(0.95) > 0.9, "passed"),
    (lambda: torch.tensor(0.5) > 0.9, "not yet"),
    (lambda: np.array(0.95) > np.array(0.9), "passed"),
    (lambda: torch.ones(3) > 0.9, "not yet"),      # several values: the answer is not a number
], ids=["0-d tensor true", "0-d tensor false", "0-d array", "tensor of three"])
def test_a_check_reads_a_tensor_verdict_and_never_raises(condition, verdict, capsys):
    exercises.check("ex-demo", ("the answer is above 0.9", condition))
    assert f"ex-demo: {verdict}" in capsys.readouterr().out


def test_a_claim_accepts_a_0_d_boolean_tensor(capsys):
    claims.claim(torch.tensor(2.0) > 1, "two is above one")
    assert capsys.readouterr().out == ""


def test_a_cached_layer_may_beat_the_memory_roof():
    """Above 1 is a measurement (the cache's roof is higher), returned, not refused."""
    assert ROOF.fraction(8e8, 0.5) == pytest.approx(1.6)


def test_training_bill_takes_an_open_interval_end():
    """inf inside an array is the open end of a bootstrap interval (chapter 4.2): an infinite
    bill, not an error; a single infinite number is refused (see the NaN/inf cases)."""
    b = bill.training_bill(np.array([1e20, 1e21, INF]))
    assert np.isinf(b.usd[-1]) and np.all(np.isfinite(b.usd[:2]))
