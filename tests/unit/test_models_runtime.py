import numpy as np
import pytest
import torch

import dlimits
from dlimits import models, runtime


def test_mlp_shapes_and_parameter_count():
    net = models.mlp(64, [32, 16], 10)
    assert net(torch.zeros(5, 64)).shape == (5, 10)
    assert sum(p.numel() for p in net.parameters()) == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10


def test_mlp_without_hidden_layers_is_linear():
    net = models.mlp(3, [], 2)
    assert len(net) == 1 and isinstance(net[0], torch.nn.Linear)


def test_mlp_seed_gives_identical_weights_and_leaves_global_state_alone():
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    a = models.mlp(4, [8], 2, seed=5)
    after = torch.rand(1)
    b = models.mlp(4, [8], 2, seed=5)
    assert torch.equal(before, after)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    c = models.mlp(4, [8], 2, seed=6)
    assert not torch.equal(a[0].weight, c[0].weight), "another seed gives other weights"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_inputs": 0, "hidden": [4], "n_outputs": 2}, ValueError, "n_inputs must be >= 1"),
        ({"n_inputs": 4, "hidden": 8, "n_outputs": 2}, TypeError, "sequence of layer widths"),
        ({"n_inputs": 4, "hidden": [8, 0], "n_outputs": 2}, ValueError, r"hidden\[1\] must be >= 1"),
        ({"n_inputs": 4, "hidden": [8], "n_outputs": 2, "activation": "swish"}, ValueError, "Unknown activation"),
    ],
)
def test_mlp_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        models.mlp(**kwargs)


def test_seed_everything_repeats_draws():
    dlimits.seed_everything(11)
    a = (np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    dlimits.seed_everything(11)
    assert (np.random.rand(), torch.rand(1).item()) == a  # noqa: NPY002
    dlimits.seed_everything(12)
    b = (np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    assert b[0] != a[0] and b[1] != a[1], "another seed gives other draws"
    with pytest.raises(ValueError, match="seed must be in"):
        dlimits.seed_everything(-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        dlimits.seed_everything(1.5)


def test_get_device(monkeypatch):
    monkeypatch.delenv("DLIMITS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert dlimits.get_device().type == expected
    assert dlimits.get_device("cpu").type == "cpu"
    monkeypatch.setenv("DLIMITS_DEVICE", "cpu")
    assert dlimits.get_device().type == "cpu"
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        dlimits.get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA was requested"):
            dlimits.get_device("cuda")


def test_set_threads_returns_previous_value():
    previous = runtime.set_threads(1)
    try:
        assert torch.get_num_threads() == 1
    finally:
        runtime.set_threads(previous)
    with pytest.raises(ValueError):
        runtime.set_threads(0)


def test_ledger_accumulates_and_reports(capsys):
    dlimits.start_ledger()
    runtime.record_flops("a", 100)
    runtime.record_flops("a", 50)
    runtime.record_flops("b", 1e3)
    info = dlimits.cost_report()
    assert info["flops"] == 1150 and info["entries"] == {"a": 150, "b": 1000}
    out = capsys.readouterr().out
    assert "Wall-clock time" in out and "1.15e+03" in out
    with pytest.raises(ValueError, match="flops must be >= 0"):
        runtime.record_flops("a", -1)
    with pytest.raises(ValueError, match="non-empty string"):
        runtime.record_flops("", 1)


def test_notebook_setup_limits_every_thread_pool():
    from threadpoolctl import threadpool_info

    previous = torch.get_num_threads()
    try:
        device = dlimits.notebook_setup(seed=3, threads=1)
        assert device.type in ("cpu", "cuda")
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        assert dlimits.runtime.ledger().flops == 0
    finally:
        runtime.set_threads(previous)
