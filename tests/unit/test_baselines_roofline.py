import numpy as np
import pytest
import torch

from dlimits import baselines, measure


def test_roofline_arithmetic():
    roof = measure.Roofline(peak_flops=100e9, bandwidth=10e9)
    assert roof.ridge == pytest.approx(10.0)
    assert roof.attainable(1.0) == pytest.approx(10e9)          # memory-bound side
    assert roof.attainable(1000.0) == pytest.approx(100e9)      # compute-bound side
    np.testing.assert_allclose(roof.attainable([1, 10, 100]), [10e9, 100e9, 100e9])
    assert roof.fraction(5e9, 1.0) == pytest.approx(0.5)


@pytest.mark.parametrize("bad", [0, -1, float("nan")])
def test_roofline_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        measure.Roofline(peak_flops=bad, bandwidth=1e9)
    with pytest.raises(ValueError):
        measure.Roofline(1e9, 1e9).attainable(bad)


def test_matmul_sweep_and_bandwidth_measure_something_plausible():
    sweep = measure.matmul_throughput([16, 64], threads=1, min_run_time=0.02)
    assert list(sweep["n"]) == [16, 64]
    assert (sweep["flop_per_s"] > 1e7).all()
    # a bigger product runs at a higher rate: the small one is dominated by call overhead
    assert sweep["flop_per_s"].iloc[1] > sweep["flop_per_s"].iloc[0]
    bw = measure.memory_bandwidth(2**22, threads=1, min_run_time=0.02)
    assert 1e8 < bw < 1e13
    with pytest.raises(TypeError):
        measure.matmul_throughput(64)
    with pytest.raises(ValueError):
        measure.memory_bandwidth(10)


def test_layer_costs_counts_each_layer():
    net = torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.ReLU(), torch.nn.Linear(30, 5))
    costs = measure.layer_costs(net, torch.zeros(8, 20))
    assert list(costs["layer"]) == ["0", "2"]
    assert list(costs["flops"]) == [2 * 8 * 20 * 30, 2 * 8 * 30 * 5]
    # parameters + input + output, 4 bytes each
    assert costs["bytes"].iloc[0] == 4 * (20 * 30 + 30 + 8 * 20 + 8 * 30)
    # a bigger batch re-uses the same weights: higher intensity
    big = measure.layer_costs(net, torch.zeros(512, 20))
    assert (big["intensity"].to_numpy() > costs["intensity"].to_numpy()).all()
    timed = measure.layer_costs(net, torch.zeros(8, 20), timed=True, min_run_time=0.01)
    assert (timed["seconds"] > 0).all()
    with pytest.raises(ValueError):
        measure.layer_costs(torch.nn.ReLU(), torch.zeros(2, 3))


def test_cnn_shape_and_parameters():
    net = baselines.cnn()
    assert net(torch.zeros(3, 784)).shape == (3, 10)
    assert sum(p.numel() for p in net.parameters()) == 105_866
    assert sum(p.numel() for p in baselines.untrained("mlp").parameters()) == 235_146
    with pytest.raises(ValueError):
        baselines.untrained("resnet")


def test_baseline_trains_once_and_hands_out_copies():
    first = baselines.baseline("mlp")
    assert first.test_error < 0.09, "the baseline MLP should reach < 9 % error on MNIST-5k"
    second = baselines.baseline("mlp")
    assert second.model is not first.model
    with torch.no_grad():
        for p in first.model.parameters():
            p.zero_()
    assert any(p.abs().sum() > 0 for p in second.model.parameters()), "copies must be independent"
    with pytest.raises(ValueError):
        baselines.baseline("mlp", seed=-1)


def test_summary_reports_ratios_against_the_baseline():
    s = measure.summary("half", accuracy=0.9, baseline_accuracy=0.95, size_bytes=500,
                        baseline_size_bytes=1000, flops=50.0, baseline_flops=100.0,
                        latency_ratio=0.8)
    assert s.compression == 2.0 and s.flop_ratio == 0.5 and abs(s.speedup - 1.25) < 1e-12
    assert "-5.0 points" in str(s) and "2.0x smaller" in str(s) and "1.25x the speed" in str(s)


@pytest.mark.parametrize("bad", [{"accuracy": 93.0}, {"size_bytes": 0}, {"latency_ratio": -1.0},
                                 {"label": " "}, {"flops": float("nan")}])
def test_summary_refuses_nonsense(bad):
    args = dict(label="x", accuracy=0.9, baseline_accuracy=0.95, size_bytes=500,
                baseline_size_bytes=1000, flops=50.0, baseline_flops=100.0, latency_ratio=0.8)
    args.update(bad)
    label = args.pop("label")
    with pytest.raises((ValueError, TypeError)):
        measure.summary(label, **args)
