import numpy as np
import pytest
import torch

import dlimits
from dlimits import data, measure, models, train


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_fit_learns_digits_and_records_history(digits):
    dlimits.start_ledger()
    net = models.mlp(64, [32], 10, seed=0)
    res = train.fit(net, digits, epochs=3, batch_size=64, lr=3e-3, eval_every=10, device="cpu")
    assert res.test_error < 0.2, "an MLP should reach < 20 % error on digits in three epochs"
    h = res.history
    assert list(h.columns) == ["epoch", "step", "train_loss", "test_loss", "test_error", "flops", "seconds"]
    assert h["step"].iloc[-1] == res.steps == 3 * int(np.ceil(digits.n_train / 64))
    assert h["flops"].is_monotonic_increasing and h["flops"].iloc[-1] == res.train_flops
    assert res.n_params == 64 * 32 + 32 + 32 * 10 + 10
    # training FLOPs were added to the notebook's ledger, evaluation separately
    entries = dlimits.runtime.ledger().entries
    assert entries["training"] == res.train_flops and entries["evaluation"] > 0


def test_training_flops_match_the_six_nd_rule(digits):
    """Forward 2·N·D plus backward 4·N·D (weights only) for a bias-free linear chain."""
    net = torch.nn.Sequential(torch.nn.Linear(64, 10, bias=False))
    res = train.fit(net, digits.subsample(640), steps=10, batch_size=64, device="cpu")
    # first layer: no gradient w.r.t. the input is needed, so backward is 2·N·D, not 4·N·D
    assert res.train_flops == 10 * 64 * (2 * 640 + 2 * 640)


def test_fit_is_reproducible(digits):
    runs = [
        train.fit(models.mlp(64, [16], 10, seed=1), digits, steps=30, seed=4, device="cpu").test_loss
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_cosine_schedule_ends_at_zero_learning_rate_and_trains(digits):
    net = models.mlp(64, [16], 10, seed=0)
    res = train.fit(net, digits, steps=100, lr=5e-3, schedule="cosine", device="cpu")
    assert res.test_error < 0.3


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_optimizer_reduces_the_loss(digits, optimizer):
    net = models.mlp(64, [16], 10, seed=0)
    res = train.fit(net, digits, steps=60, lr=1e-2 if optimizer == "sgd" else 3e-3,
                    optimizer=optimizer, eval_every=10, device="cpu")
    assert res.history["test_loss"].iloc[-1] < res.history["test_loss"].iloc[0]


def test_fit_regression_on_teacher_student():
    s = data.teacher_student(2000, 1000, noise=0.1, seed=0)
    res = train.fit(models.mlp(16, [32], 1, activation="tanh", seed=0), s, epochs=20, lr=3e-3, device="cpu")
    baseline = float(np.var(s.y_test))
    assert res.test_error < 0.5 * baseline, "the student should explain most of the teacher's variance"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "exactly one of epochs= or steps="),
        ({"epochs": 1, "steps": 1}, ValueError, "exactly one of epochs= or steps="),
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"steps": 1, "lr": 0}, ValueError, "lr must be > 0"),
        ({"steps": 1, "batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"steps": 1, "optimizer": "lbfgs"}, ValueError, "Unknown optimizer"),
        ({"steps": 1, "schedule": "step"}, ValueError, "Unknown schedule"),
    ],
)
def test_fit_bad_arguments(digits, kwargs, error, match):
    with pytest.raises(error, match=match):
        train.fit(models.mlp(64, [8], 10), digits, **kwargs)


def test_fit_needs_a_module_and_a_split(digits):
    with pytest.raises(TypeError, match="torch.nn.Module"):
        train.fit("net", digits, steps=1)
    with pytest.raises(TypeError, match="dlimits.data.Split"):
        train.fit(models.mlp(64, [8], 10), (digits.X_train, digits.y_train), steps=1)


def test_evaluate_validates_its_inputs(digits):
    net = models.mlp(64, [8], 10)
    X, y = torch.zeros(5, 64), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        train.evaluate(net, X, y)
    with pytest.raises(ValueError, match="empty"):
        train.evaluate(net, X[:0], y[:0])
    out = train.evaluate(net, digits.X_test, digits.y_test, record=False)
    assert 0 <= out["error"] <= 1 and out["flops"] == 2 * digits.n_test * (64 * 8 + 8 * 10)


def test_count_parameters_and_nonzero():
    net = models.mlp(10, [5], 2)
    assert measure.count_parameters(net) == 10 * 5 + 5 + 5 * 2 + 2
    with torch.no_grad():
        net[0].weight.zero_()
    assert measure.count_parameters(net, nonzero=True) == measure.count_parameters(net) - 50
    net[0].bias.requires_grad_(False)
    assert measure.count_parameters(net, trainable_only=True) == measure.count_parameters(net) - 5
    with pytest.raises(TypeError, match="torch.nn.Module"):
        measure.count_parameters([1, 2])


def test_count_flops_forward_and_backward():
    lin = torch.nn.Linear(10, 5)
    x = torch.zeros(3, 10)
    assert measure.count_flops(lin, x) == 2 * 3 * 10 * 5
    assert measure.count_flops(lin, x, backward=True) == 2 * 2 * 3 * 10 * 5  # forward + weight grad
    conv = torch.nn.Conv2d(1, 4, 3, bias=False)
    assert measure.count_flops(conv, torch.zeros(1, 1, 8, 8)) == 2 * 4 * 6 * 6 * 9
    with pytest.raises(TypeError, match="tensor or a non-empty sequence"):
        measure.count_flops(lin, [1, 2])
    with pytest.raises(ValueError, match="requires a gradient"):
        with torch.no_grad():
            measure.count_flops(lin, x, backward=True)


def test_size_on_disk_grows_with_parameters():
    small, big = measure.size_on_disk(models.mlp(10, [5], 2)), measure.size_on_disk(models.mlp(10, [500], 2))
    assert big - small == pytest.approx(4 * (500 - 5) * (10 + 1 + 2), rel=0.05)
    with pytest.raises(TypeError):
        measure.size_on_disk([1])


def test_latency_measures_something_positive():
    lat = measure.latency(torch.nn.Linear(64, 64), torch.zeros(8, 64), threads=1, min_run_time=0.05)
    assert lat.median > 0 and lat.runs >= 1 and lat.threads == 1
    assert "ms" in str(lat)
    with pytest.raises(ValueError, match="min_run_time must be > 0"):
        measure.latency(torch.nn.Linear(2, 2), torch.zeros(1, 2), min_run_time=0)


def test_energy_estimate_arithmetic_and_validation():
    e = measure.energy_estimate(1e18, peak_flops_per_second=1e14, power_watts=300, utilization=0.5, pue=1.1)
    assert e.seconds == pytest.approx(2e4)
    assert e.joules == pytest.approx(2e4 * 300 * 1.1)
    assert e.kwh == pytest.approx(2e4 * 300 * 1.1 / 3.6e6)
    with pytest.raises(ValueError, match="at most 1"):
        measure.energy_estimate(1, peak_flops_per_second=1, power_watts=1, utilization=1.5)
    with pytest.raises(ValueError, match="at least 1"):
        measure.energy_estimate(1, peak_flops_per_second=1, power_watts=1, pue=0.9)
    with pytest.raises(ValueError, match="power_watts must be > 0"):
        measure.energy_estimate(1, peak_flops_per_second=1, power_watts=0)
