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


def test_fit_is_reproducible_and_the_seed_matters(digits):
    def run(seed):
        net = models.mlp(64, [16], 10, seed=1)
        return train.fit(net, digits, steps=30, seed=seed, device="cpu").test_loss

    same, other = run(4), run(5)
    assert run(4) == same
    assert other != same, "a different seed must change the batch order, hence the result"
    with pytest.raises(TypeError, match="seed must be an integer"):
        train.fit(models.mlp(64, [8], 10), digits, steps=1, seed=None)


def test_cosine_schedule_ends_at_zero_learning_rate_and_trains(digits):
    steps, lr = 100, 5e-3
    net = models.mlp(64, [16], 10, seed=0)
    res = train.fit(net, digits, steps=steps, lr=lr, schedule="cosine", device="cpu")
    assert res.test_error < 0.3
    rates = res.learning_rates
    assert rates.shape == (steps,) and rates[0] == pytest.approx(lr)
    assert np.all(np.diff(rates) < 0), "the cosine schedule decays at every step"
    # the last update uses lr·(1 + cos(π·(T-1)/T))/2, about 0; halfway it is lr/2
    assert rates[-1] == pytest.approx(lr * (1 + np.cos(np.pi * (steps - 1) / steps)) / 2)
    assert rates[-1] < 1e-3 * lr and rates[steps // 2] == pytest.approx(lr / 2)
    const = train.fit(models.mlp(64, [16], 10, seed=0), digits, steps=steps, lr=lr,
                      device="cpu")
    assert np.all(const.learning_rates == lr)
    assert const.test_loss != res.test_loss


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


def test_a_diverging_run_says_so_and_names_the_step():
    split = data.teacher_student(500, 200, noise=0.1, seed=0)
    dlimits.start_ledger()
    with pytest.raises(train.TrainingDiverged, match=r"diverged.*step \d+.*smaller learning rate") as info:
        train.fit(models.mlp(16, [32], 1, seed=0), split, steps=50, lr=10.0, optimizer="sgd",
                  device="cpu")
    assert isinstance(info.value, RuntimeError) and 1 <= info.value.step <= 50
    assert not np.isfinite(info.value.loss) and info.value.lr == 10.0
    assert dlimits.runtime.ledger().entries["training"] > 0, "the spent FLOPs are recorded"


@pytest.mark.parametrize(
    ("make_net", "match"),
    [
        (lambda: models.mlp(32, [8], 10), "n_features = 64"),
        (lambda: models.mlp(64, [8], 5), "returns 5 scores per example but the data have 10"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(64, 10), torch.nn.Flatten(0)),
         r"shape \(batch, n_classes\)"),
    ],
)
def test_fit_says_when_the_model_does_not_fit_the_data(digits, make_net, match):
    with pytest.raises(ValueError, match=match):
        train.fit(make_net(), digits, steps=1, device="cpu")


def test_fit_regression_needs_one_output_per_example():
    split = data.teacher_student(100, 50, seed=0)
    with pytest.raises(ValueError, match="one number per example"):
        train.fit(models.mlp(16, [8], 3), split, steps=1, device="cpu")
    res = train.fit(models.mlp(16, [8], 1), split, steps=2, device="cpu")  # (batch, 1) is fine
    assert np.isfinite(res.test_error)


def test_the_shape_check_leaves_training_unchanged(digits):
    """The check's forward pass runs in eval mode without gradient: batch-norm statistics and
    results are those of a loop without it."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.BatchNorm1d(16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 10))
    before = net[1].running_mean.clone()
    train._check_model_fits_data(net, digits, *digits.tensors()[:2])
    assert torch.equal(net[1].running_mean, before) and net.training

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
    with pytest.raises(ValueError, match="labels must be integers"):
        train.evaluate(net, X[:4], torch.zeros(4))
    with pytest.raises(ValueError, match=r"class indices 0\.\.9"):
        train.evaluate(net, X[:4], torch.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match="1-D"):
        train.evaluate(net, X[:4], torch.zeros(4, 2, dtype=torch.long))


def test_evaluate_a_model_without_parameters():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    out = train.evaluate(torch.nn.Identity(), logits, torch.tensor([0, 1, 1]), record=False)
    assert out["error"] == pytest.approx(1 / 3)
    expected = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 1]))
    assert out["loss"] == pytest.approx(float(expected))
    reg = train.evaluate(torch.nn.Identity(), np.array([1.0, 2.0]), np.array([1.0, 4.0]),
                         task="regression", record=False)
    assert reg["error"] == pytest.approx(2.0)


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


def test_paired_reports_ratios_to_the_first_call_and_refuses_bad_calls():
    import pytest
    import torch

    from dlimits.measure import paired

    x = torch.ones(32, 256)
    small, big = torch.nn.Linear(256, 8), torch.nn.Linear(256, 2048)
    t = paired([("small", small), ("big", big, x)], x, rounds=4)
    assert list(t.rounds.columns) == ["small", "big"] and len(t.rounds) == 4
    assert float(t.ratio["small"]) == 1.0 and float(t.ratio["big"]) > 1.0
    assert (t.seconds > 0).all()
    with pytest.raises(ValueError, match="at least two"):
        paired({"one": small}, x)
    with pytest.raises(ValueError, match="no inputs"):
        paired({"a": small, "b": big})
    with pytest.raises(TypeError, match="not callable"):
        paired({"a": small, "b": 3}, x)
    with pytest.raises(ValueError, match="distinct"):
        paired([("a", small), ("a", big)], x)
    with pytest.raises(ValueError, match="rounds"):
        paired({"a": small, "b": big}, x, rounds=0)


def test_fit_takes_a_loss_that_sees_each_batchs_positions():
    """fit(loss=...) trains on the given loss; index lets it look up per-example values."""
    from dlimits import data, models, train

    split = data.teacher_student(64, 16, n_features=3, task="classification", n_classes=2, seed=0)
    seen = []

    def loss(out, yb, idx):
        seen.append(idx.clone())
        return torch.nn.functional.cross_entropy(out, yb)

    a = train.fit(models.mlp(3, [4], 2, seed=0), split, epochs=2, batch_size=16, loss=loss)
    b = train.fit(models.mlp(3, [4], 2, seed=0), split, epochs=2, batch_size=16)
    # the default loss is the same cross-entropy: the same weights
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    positions = torch.cat(seen[:4])
    assert sorted(positions.tolist()) == list(range(64)), "each pass shows every example once"
    # a loss that ignores the labels trains something else
    c = train.fit(models.mlp(3, [4], 2, seed=0), split, epochs=2, batch_size=16,
                  loss=lambda out, yb, idx: (out ** 2).mean())
    assert not torch.allclose(c.model[0].weight, a.model[0].weight)
    with pytest.raises(TypeError, match="loss must be a function"):
        train.fit(models.mlp(3, [4], 2, seed=0), split, epochs=1, loss="mse")
    with pytest.raises(TypeError, match="scalar tensor"):
        train.fit(models.mlp(3, [4], 2, seed=0), split, epochs=1,
                  loss=lambda out, yb, idx: out)
