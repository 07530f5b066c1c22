"""Tests that pin what the docstrings of dlimits promise, written to kill mutants.

Each test compares a result with an independent computation (a KL divergence summed by hand, a
bootstrap redone with NumPy, a packed state dict decoded bit by bit) or watches what a function
does (the order of timed calls, the optimiser it builds), so that a small change to the code —
a swapped argument, a dropped bias, an ignored level — fails a test. They are fast (the bundled
datasets only, no training longer than a few steps; the whole file runs in seconds).
"""

import copy
import math
import re
import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook

import dlimits
from dlimits import bill, claims, compress, data, exercises, explain, fit, measure, train


def _kl_by_hand(student_logits, teacher_logits, T):
    """KL(softmax(v/T) || softmax(z/T)) summed over classes, averaged over the batch."""
    p_teacher = torch.softmax(teacher_logits / T, dim=1)
    log_p_teacher = torch.log(p_teacher)
    log_p_student = torch.log(torch.softmax(student_logits / T, dim=1))
    per_example = (p_teacher * (log_p_teacher - log_p_student)).sum(dim=1)
    return per_example.sum() / len(student_logits)


def _mlp_with_biases(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():  # biases far from 0, so that dropping one changes every output
        net[0].bias.copy_(torch.linspace(-1.0, 1.0, 8))
        net[2].bias.copy_(torch.tensor([2.0, -1.5, 0.5]))
    return net


# ================================================================================ compress


def test_soft_kl_is_kl_of_teacher_to_student_with_batchmean():
    torch.manual_seed(1)
    z, v = torch.randn(5, 4) * 2, torch.randn(5, 4) * 3
    T = 2.5
    expected = _kl_by_hand(z, v, T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # e.g. an implicit softmax dimension
        assert float(compress.soft_kl(z, v, T)) == pytest.approx(float(expected), rel=1e-5)
    # the other direction is a different number: the test can fail
    assert float(_kl_by_hand(v, z, T)) != pytest.approx(float(expected), rel=1e-2)
    # "averaged over the batch": two copies of the batch give the same value
    doubled = compress.soft_kl(torch.cat([z, z]), torch.cat([v, v]), T)
    assert float(doubled) == pytest.approx(float(expected), rel=1e-5)


def test_distill_loss_mixes_soft_and_hard_terms_as_documented():
    torch.manual_seed(2)
    z, v, y = torch.randn(6, 5), torch.randn(6, 5), torch.tensor([0, 1, 2, 3, 4, 0])
    T, alpha = 3.0, 0.3
    soft, hard = _kl_by_hand(z, v, T), F.cross_entropy(z, y)
    got = compress.distill_loss(z, v, y, T, alpha)
    assert float(got) == pytest.approx(float(alpha * T**2 * soft + (1 - alpha) * hard), rel=1e-5)
    no_t2 = compress.distill_loss(z, v, y, T, alpha, scale_t2=False)
    assert float(no_t2) == pytest.approx(float(alpha * soft + (1 - alpha) * hard), rel=1e-5)
    # alpha = 1: the labels play no part
    only_soft = compress.distill_loss(z, v, y, T, 1.0)
    assert float(only_soft) == pytest.approx(float(T**2 * soft), rel=1e-5)
    assert float(compress.distill_loss(z, v, (y + 1) % 5, T, 1.0)) == pytest.approx(
        float(only_soft), rel=1e-6)


def _distill_by_hand(student, X, y, teacher_logits, *, T, alpha, epochs, lr):
    """One full batch per epoch (so that the order of examples does not matter), Adam."""
    opt = torch.optim.Adam(student.parameters(), lr=lr)
    for _ in range(epochs):
        z = student(X)
        loss = alpha * T**2 * _kl_by_hand(z, teacher_logits, T) + (1 - alpha) * F.cross_entropy(z, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return student


def test_distill_follows_the_documented_loss_and_records_its_flops():
    torch.manual_seed(3)
    X, y = torch.randn(24, 5), torch.randint(0, 3, (24,))
    teacher_logits = 2 * torch.randn(24, 3)
    student = nn.Linear(5, 3)
    twin = copy.deepcopy(student)
    dlimits.start_ledger()
    out = compress.distill(student, X, y, teacher_logits, T=2.0, alpha=0.7, epochs=3, lr=0.05,
                           batch_size=24, label="kd")
    assert out is student and not student.training
    _distill_by_hand(twin, X, y, teacher_logits, T=2.0, alpha=0.7, epochs=3, lr=0.05)
    for a, b in zip(student.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # forward 2·5·3 and weight gradient 2·5·3 FLOPs per example, for every example and epoch;
    # fit's one evaluation at the end, a forward pass over the transfer set, goes apart
    assert dlimits.runtime.ledger().entries == {"kd": 60 * 3 * 24, "evaluation": 30 * 24}


def test_distill_uses_the_teacher_and_alpha():
    torch.manual_seed(4)
    X, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    teachers = 2 * torch.randn(32, 3), 2 * torch.randn(32, 3)

    def run(teacher_logits, alpha):
        torch.manual_seed(0)
        net = nn.Linear(5, 3)
        compress.distill(net, X, y, teacher_logits, T=2.0, alpha=alpha, epochs=2, lr=0.05)
        return torch.cat([p.detach().flatten() for p in net.parameters()])

    dlimits.start_ledger()
    run(teachers[0], 0.5)
    assert set(dlimits.runtime.ledger().entries) == {"distillation", "evaluation"}  # default label

    assert not torch.allclose(run(teachers[0], 0.5), run(teachers[1], 0.5))
    assert not torch.allclose(run(teachers[0], 0.5), run(teachers[0], 0.9))
    # alpha = 0: only the labels count, the teacher is ignored
    torch.testing.assert_close(run(teachers[0], 0.0), run(teachers[1], 0.0))


def test_distill_takes_shuffled_mini_batches_by_seed():
    torch.manual_seed(5)
    X, y = torch.randn(40, 4), torch.randint(0, 2, (40,))
    logits = torch.randn(40, 2)
    steps = []
    handle = register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: steps.append((type(opt), opt.defaults["lr"])))
    try:
        def run(seed, epochs=2):
            torch.manual_seed(0)
            net = nn.Linear(4, 2)
            compress.distill(net, X, y, logits, epochs=epochs, batch_size=16, lr=0.02, seed=seed)
            return net.weight.detach().clone()

        a = run(0)
        assert steps == [(torch.optim.Adam, 0.02)] * (2 * 3)   # ceil(40 / 16) steps per epoch
        torch.testing.assert_close(run(0), a)
        assert not torch.allclose(run(1), a)
    finally:
        handle.remove()


def test_keep_units_keeps_the_biases_and_the_function_of_the_kept_units():
    net = _mlp_with_biases()
    layer, nxt = net[0], net[2]
    small, following = compress.keep_units(layer, nxt, 0.5)
    units = layer.weight.detach().norm(dim=1).argsort(descending=True)[:4].sort().values
    torch.testing.assert_close(small.bias, layer.bias.detach()[units])
    torch.testing.assert_close(following.bias, nxt.bias.detach())
    # the pruned pair computes the original network with the dropped units silenced
    x = torch.randn(7, 6)
    mask = torch.zeros(8)
    mask[units] = 1.0
    with torch.no_grad():
        expected = nxt(torch.relu(layer(x)) * mask)
        torch.testing.assert_close(following(torch.relu(small(x))), expected)


def test_keep_units_rounds_keeps_at_least_one_and_handles_missing_biases():
    a, b = compress.keep_units(nn.Linear(3, 8, bias=False), nn.Linear(8, 2, bias=False), 0.01)
    assert (a.out_features, b.in_features) == (1, 1) and a.bias is None and b.bias is None
    a, b = compress.keep_units(nn.Linear(3, 8), nn.Linear(8, 2), 0.3)      # round(2.4) = 2
    assert (a.out_features, b.in_features, b.out_features) == (2, 2, 2)
    a, _ = compress.keep_units(nn.Linear(3, 8), nn.Linear(8, 2), 0.32)     # round(2.56) = 3
    assert a.out_features == 3
    layer = nn.Linear(3, 4)
    _, following = compress.keep_units(layer, nn.Linear(4, 2), 1.0)
    assert following.in_features == 4
    with pytest.raises(ValueError, match="above 0"):
        compress.keep_units(layer, nn.Linear(4, 2), 0.0)
    with pytest.raises(ValueError, match="4 outputs but next_layer takes 5"):
        compress.keep_units(layer, nn.Linear(5, 2), 0.5)
    with pytest.raises(TypeError):
        compress.keep_units(layer, nn.ReLU(), 0.5)


def test_slim_mlp_matches_keep_units_layer_by_layer():
    net = _mlp_with_biases()
    slim = compress.slim_mlp(net, 0.5)
    small, following = compress.keep_units(net[0], net[2], 0.5)
    x = torch.randn(5, 6)
    with torch.no_grad():
        torch.testing.assert_close(slim(x), following(torch.relu(small(x))))
    assert isinstance(slim[1], nn.ReLU) and slim[0] is not net[0]


def _decode(state, name, layer, bits):
    """Rebuild a layer's weights from its packed codes, scales and zero points."""
    n = layer.weight.numel()
    codes = state[name + ".codes"].numpy()
    assert codes.dtype == np.uint8 and codes.size == math.ceil(n * bits / 8)
    bit_rows = np.unpackbits(codes)[: n * bits].reshape(n, bits).astype(np.int64)
    q = (bit_rows * 2 ** np.arange(bits - 1, -1, -1)).sum(axis=1).reshape(layer.weight.shape)
    scale = state[name + ".scale"].numpy()
    zero_point = state[name + ".zero_point"].numpy().astype(np.int64)
    return scale[:, None] * (q - zero_point[:, None])


@pytest.mark.parametrize("bits", [2, 3, 8])
def test_pack_stores_codes_scales_zero_points_and_biases_that_rebuild_the_layer(bits):
    net = _mlp_with_biases()
    state = compress.pack(net, bits)
    assert set(state) == {f"{i}.{k}" for i in (0, 2) for k in ("codes", "scale", "zero_point", "bias")}
    quantized = compress.with_quantized_weights(net, bits)
    for i in (0, 2):
        assert state[f"{i}.scale"].dtype == torch.float32 and state[f"{i}.scale"].shape == (
            net[i].out_features,)
        assert state[f"{i}.zero_point"].dtype == torch.uint8
        np.testing.assert_allclose(_decode(state, str(i), net[i], bits),
                                   quantized[i].weight.detach().numpy(), rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(state[f"{i}.bias"], net[i].bias.detach())
    assert compress.packed_size(net, bits) == measure.size_on_disk(state)


def test_pack_without_biases_and_refuses_a_model_without_linear_layers():
    net = nn.Sequential(nn.Linear(5, 4, bias=False))
    state = compress.pack(net, 4)
    assert set(state) == {"0.codes", "0.scale", "0.zero_point"}
    with pytest.raises(ValueError, match="no nn.Linear"):
        compress.pack(nn.Sequential(nn.ReLU()), 4)
    with pytest.raises(ValueError, match="between 1 and 8"):
        compress.pack(net, 9)


def test_affine_params_widen_the_range_to_hold_zero():
    scale, zero_point = compress.affine_params(torch.tensor(-1.0), torch.tensor(0.5), 2)
    assert float(scale) == pytest.approx(0.5) and float(zero_point) == 2.0
    scale, zero_point = compress.affine_params(torch.tensor(0.2), torch.tensor(1.0), 2)
    assert float(scale) == pytest.approx(1 / 3) and float(zero_point) == 0.0
    scale, zero_point = compress.affine_params(torch.tensor(-3.0), torch.tensor(-1.0), 3)
    assert float(scale) == pytest.approx(3 / 7) and float(zero_point) == 7.0
    scale, _ = compress.affine_params(torch.tensor(0.0), torch.tensor(0.0), 4)
    assert float(scale) > 0


def test_fake_quantize_per_channel_and_per_tensor_by_hand():
    w = torch.tensor([[-1.0, -0.4, 0.0, 0.3, 0.5], [0.0, 0.1, 0.2, 0.3, 0.4]])
    torch.testing.assert_close(compress.fake_quantize(w, 2), torch.tensor(
        [[-1.0, -0.5, 0.0, 0.5, 0.5], [0.0, 0.4 / 3, 0.8 / 3, 0.8 / 3, 0.4]]))
    # one grid for the whole tensor: the range [-1, 0.5] of the first row for both rows
    torch.testing.assert_close(compress.fake_quantize(w, 2, per_channel=False), torch.tensor(
        [[-1.0, -0.5, 0.0, 0.5, 0.5], [0.0, 0.0, 0.0, 0.5, 0.5]]))
    # 1 bit: two levels, the low end and 0 (or 0 and the high end)
    torch.testing.assert_close(compress.fake_quantize(torch.tensor([[-1.0, -0.6, -0.2]]), 1),
                               torch.tensor([[-1.0, -1.0, 0.0]]))
    # codes stay in 0 … 2**bits - 1, even where rounding would carry the top value past it
    w = torch.tensor([[-1.0, 1.0]])
    scale, zero_point = compress.affine_params(w.min(), w.max(), 2)
    codes = compress.fake_quantize(w, 2) / scale + zero_point
    torch.testing.assert_close(codes, codes.round())
    assert float(codes.min()) >= 0 and float(codes.max()) <= 3
    # a 1-D tensor: one grid per entry, so every entry is exact
    torch.testing.assert_close(compress.fake_quantize(torch.tensor([0.3, -0.7]), 4),
                               torch.tensor([0.3, -0.7]))
    conv = torch.randn(3, 2, 3, 3)
    assert compress.fake_quantize(conv, 4).shape == conv.shape
    assert compress.fake_quantize(conv.double(), 4).dtype == torch.float64
    with pytest.raises(TypeError):
        compress.fake_quantize(torch.empty(0), 4)


def test_with_quantized_weights_quantizes_linear_and_conv_layers_only():
    torch.manual_seed(5)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    for per_channel in (True, False):
        q = compress.with_quantized_weights(net, 3, per_channel=per_channel)
        for i in (0, 2):
            torch.testing.assert_close(q[i].weight, compress.fake_quantize(
                net[i].weight, 3, per_channel=per_channel))
            torch.testing.assert_close(q[i].bias, net[i].bias)
    assert not torch.equal(q[0].weight, net[0].weight)


def test_weight_sparsity_is_the_share_over_all_weights_and_prune_global_copies():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(8, 1))
    with torch.no_grad():
        net[0].weight.zero_()
        net[1].weight.fill_(1.0)
    assert compress.weight_sparsity(net) == pytest.approx(4 / 12)
    same = compress.prune_global(net, 0.0)
    assert same is not net and compress.weight_sparsity(same) == pytest.approx(4 / 12)
    pruned = compress.prune_global(nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 10)), 0.25)
    assert compress.weight_sparsity(pruned) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="no nn.Linear"):
        compress.weight_sparsity(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="no nn.Linear"):
        compress.prune_global(nn.Sequential(nn.ReLU()), 0.5)


def test_factorise_at_full_rank_is_the_same_function_bias_included():
    layer = nn.Linear(6, 4)
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([1.0, -2.0, 3.0, 0.5]))
    pair = compress.factorise(layer, 4)
    assert pair[0].bias is None and pair[1].bias is not None
    assert (pair[0].in_features, pair[0].out_features, pair[1].out_features) == (6, 4, 4)
    x = torch.randn(3, 6)
    with torch.no_grad():
        torch.testing.assert_close(pair(x), layer(x), rtol=1e-5, atol=1e-5)
    no_bias = compress.factorise(nn.Linear(6, 4, bias=False), 2)
    assert no_bias[1].bias is None
    with pytest.raises(ValueError, match="at most min"):
        compress.factorise(layer, 5)


def test_low_rank_first_keeps_the_function_at_full_rank_and_leaves_the_original():
    net = _mlp_with_biases()
    before = net[0].weight.detach().clone()
    cut = compress.low_rank_first(net, 6)
    x = torch.randn(4, 6)
    with torch.no_grad():
        torch.testing.assert_close(cut(x), net(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(net[0].weight, before) and isinstance(net[0], nn.Linear)
    with pytest.raises(TypeError):
        compress.low_rank_first(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), 1)


def test_half_res_cnn_layout_parameters_and_seed():
    c1, c2, k, hidden = 3, 5, 5, 7
    net = compress.half_res_cnn(c1, c2, k, hidden, seed=1)
    n_params = (c1 * k * k + c1) + (c1 * c2 * k * k + c2) + (c2 * 9 * hidden + hidden) + (
        hidden * 10 + 10)
    assert sum(p.numel() for p in net.parameters()) == n_params
    assert net(torch.zeros(2, 784)).shape == (2, 10)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    again = compress.half_res_cnn(c1, c2, k, hidden, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state), "the global generator is untouched"
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters(), strict=True))
    other = compress.half_res_cnn(c1, c2, k, hidden, seed=2)
    assert not torch.equal(net[2].weight, other[2].weight)
    with pytest.raises(ValueError, match="odd"):
        compress.half_res_cnn(k=2)


# ===================================================================================== fit


X8 = np.geomspace(10, 2000, 8)
Y8 = 3 * X8**-0.5 * np.exp(0.08 * np.sin(3 * np.arange(8)))


def test_power_law_interval_follows_the_level():
    wide = fit.fit_power_law(X8, Y8, offset=False, n_boot=200, level=0.95, seed=0)
    narrow = fit.fit_power_law(X8, Y8, offset=False, n_boot=200, level=0.9, seed=0)
    np.testing.assert_array_equal(wide.samples, narrow.samples)
    for i, name in enumerate("ab"):
        lo, hi = narrow.ci[name]
        assert (lo, hi) == pytest.approx(tuple(np.percentile(narrow.samples[:, i], [5, 95])))
        assert wide.ci[name] == pytest.approx(
            tuple(np.percentile(wide.samples[:, i], [2.5, 97.5])))
        assert wide.ci[name][0] < lo < hi < wide.ci[name][1]
    assert narrow.level == 0.9 and "at 90%" in str(narrow) and "at 95%" in str(wide)
    lo, hi = narrow.band(np.array([50.0, 500.0]))
    curves = narrow.samples[:, [0]] * np.array([50.0, 500.0])[None, :] ** -narrow.samples[:, [1]]
    np.testing.assert_allclose((lo, hi), np.percentile(curves, [5, 95], axis=0))


def test_power_law_residual_bootstrap_redone_with_numpy():
    """A pure power law is a line in log-log space; the bootstrap multiplies the fitted curve by
    resampled residuals exp(log y - log fit), one draw per point from the seeded generator."""
    f = fit.fit_power_law(X8, Y8, offset=False, n_boot=50, seed=7)
    lx = np.log(X8)
    slope, intercept = np.polyfit(lx, np.log(Y8), 1)
    assert (f.a, f.b, f.c) == pytest.approx((np.exp(intercept), -slope, 0.0))
    fitted = np.exp(intercept) * X8**slope
    resid = np.log(Y8) - np.log(fitted)
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(50):
        yb = fitted * np.exp(rng.choice(resid, size=resid.size))
        s, i = np.polyfit(lx, np.log(yb), 1)
        rows.append([np.exp(i), -s, 0.0])
    np.testing.assert_allclose(f.samples, np.array(rows), rtol=1e-9)
    assert f.n_points == 8 and not f.offset and f.c_max == 0.0 and f.has_interval


def test_power_law_with_replicates_resamples_within_each_x():
    """Replicates identical within each x leave nothing to resample: every bootstrap fit is the
    point estimate (a residual bootstrap would scatter them)."""
    x = np.repeat(X8[:5], 2)
    y = np.repeat(Y8[:5], 2)
    for offset in (False, True):
        f = fit.fit_power_law(x, y, offset=offset, n_boot=20, seed=0)
        np.testing.assert_allclose(f.samples[:, 1], f.b, rtol=1e-6)


def test_power_law_fit_with_a_floor_and_its_methods():
    f = fit.fit_power_law(X8, 2 * X8**-0.7 + 0.05, n_boot=0)
    assert (f.a, f.b, f.c) == pytest.approx((2, 0.7, 0.05), rel=1e-4)
    assert f.c_max == pytest.approx(float((2 * X8**-0.7 + 0.05).min()))
    assert f.n_points == 8 and f.offset and f.level == 0.95
    assert f.predict([100.0])[0] == pytest.approx(2 * 100**-0.7 + 0.05, rel=1e-4)
    assert f.halving_factor() == pytest.approx(2 ** (1 / 0.7), rel=1e-4)
    assert f.x_for(0.05 + 2 * 400**-0.7) == pytest.approx(400, rel=1e-3)
    assert str(f).startswith("y = 2·x^-0.700 + 0.05")


def test_power_law_refuses_a_flat_fit_and_warns_when_the_bootstrap_fails(monkeypatch):
    with pytest.raises(ValueError, match="does not"):
        fit.fit_power_law([1, 2, 3, 4], [1.0, 1.0, 1.0, 0.999999999])
    real = fit._power_law_once

    def failing(x, y, offset, start=None):
        if start is not None:
            raise RuntimeError("no convergence")
        return real(x, y, offset)

    monkeypatch.setattr(fit, "_power_law_once", failing)
    with pytest.warns(UserWarning, match="10 of 10 bootstrap fits failed"):
        f = fit.fit_power_law(X8, Y8, offset=False, n_boot=10)
    assert not f.has_interval and np.isnan(f.ci["b"]).all() and f.samples.shape == (0, 3)


def test_a_parameter_within_the_tolerance_of_its_bound_is_on_it():
    """Within 1e-5 of the bound's range: 1e-4 for b (range 10), 1e-5·min(y) for c."""
    assert fit._on_bounds(10 - 5e-5, 0.5, 1.0) == ("b",)
    assert fit._on_bounds(10 - 5e-4, 0.5, 1.0) == ()
    assert fit._on_bounds(5e-5, 0.5, 1.0) == ("b",)
    assert fit._on_bounds(1.0, 5e-6, 1.0) == ("c",) == fit._on_bounds(1.0, 1 - 5e-6, 1.0)
    assert fit._on_bounds(1.0, 5e-5, 1.0) == ()


def test_the_bootstrap_of_a_fit_on_a_bound_refits_every_replicate():
    """Each replicate starts from the full-data estimate, moved inside the bounds of its own
    data (c below its min(y), b below 10): no replicate fails, and nothing warns."""
    x6 = np.geomspace(10, 1000, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flattened = fit.fit_power_law(x6, [0.5, 0.3, 0.2, 0.18, 0.25, 0.4], n_boot=50)
        cliff = fit.fit_power_law(x6, 0.1 + 0.9 * (x6 / 10) ** -20.0, n_boot=50)
    assert flattened.samples.shape == cliff.samples.shape == (50, 3)


def test_a_constant_y_is_refused_as_constant():
    with pytest.raises(ValueError, match="y is constant"):
        fit.fit_power_law(X8, np.full(8, 0.2), n_boot=0)


def test_fit_line_bootstrap_redone_with_numpy_and_its_level():
    x = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    y = 2 * x + 1 + np.array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, 0.05])
    f = fit.fit_line(x, y, n_boot=40, level=0.9, seed=5)
    slope, intercept = np.polyfit(x, y, 1)
    assert (f.slope, f.intercept) == pytest.approx((slope, intercept))
    pred = slope * x + intercept
    r2 = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert f.r2 == pytest.approx(r2)
    rng = np.random.default_rng(5)
    rows = []
    for _ in range(40):
        idx = rng.integers(0, x.size, x.size)
        if np.unique(x[idx]).size < 2:
            continue
        rows.append(np.polyfit(x[idx], y[idx], 1))
    rows = np.array(rows)
    np.testing.assert_allclose(f.samples, rows, rtol=1e-7, atol=1e-9)
    assert f.ci["slope"] == pytest.approx(tuple(np.percentile(rows[:, 0], [5, 95])))
    assert f.ci["intercept"] == pytest.approx(tuple(np.percentile(rows[:, 1], [5, 95])))
    lo, hi = f.band(np.array([10.0]))
    assert (lo[0], hi[0]) == pytest.approx(tuple(np.percentile(rows[:, 0] * 10 + rows[:, 1],
                                                               [5, 95])))
    assert f.predict([10.0])[0] == pytest.approx(slope * 10 + intercept)
    assert "at 90%" in str(f) and f.n_points == 8 and f.x_centre == pytest.approx(3.5)


def test_fit_line_of_a_constant_has_r2_one():
    f = fit.fit_line([1.0, 2.0, 3.0], [4.0, 4.0, 4.0], n_boot=0)
    assert f.r2 == 1.0 and f.slope == pytest.approx(0.0, abs=1e-12)
    assert "R² = 1.000" in str(f) and "+ 4 " in str(f)


# ================================================================================= measure


class _FakeTimer:
    """Stands in for measure.latency: hands out prepared times and records the calls."""

    def __init__(self, times, fns):
        self.times, self.names = times, {id(fn): name for name, fn in fns.items()}
        self.calls = []

    def __call__(self, fn, args, *, threads, min_run_time):
        name = self.names[id(fn)]
        self.calls.append((name, args, threads, min_run_time))
        done = sum(1 for c in self.calls if c[0] == name) - 1
        return SimpleNamespace(median=self.times[name][done])


def test_paired_rotates_which_call_goes_first(monkeypatch):
    fns = {"a": lambda x: x, "b": lambda x: x, "c": lambda x: x}
    timer = _FakeTimer({n: [1.0] * 4 for n in fns}, fns)
    monkeypatch.setattr(measure, "latency", timer)
    x, own = torch.ones(2), torch.zeros(3)
    measure.paired([("a", fns["a"]), ("b", fns["b"], own), ("c", fns["c"])], x, rounds=4,
                   threads=3, min_run_time=0.5)
    order = [c[0] for c in timer.calls]
    assert order == list("abc" "bca" "cab" "abc")
    assert all(c[2:] == (3, 0.5) for c in timer.calls)
    assert all((c[1][0] is own) == (c[0] == "b") for c in timer.calls)


def test_paired_ratio_is_the_median_of_the_per_round_ratios(monkeypatch):
    fns = {"base": lambda x: x, "other": lambda x: x}
    times = {"base": [1.0, 10.0, 10.0], "other": [3.0, 10.0, 40.0]}
    monkeypatch.setattr(measure, "latency", _FakeTimer(times, fns))
    t = measure.paired(fns, torch.ones(1), rounds=3)
    # per-round ratios 3, 1, 4: median 3 (the ratio of the medians would be 1)
    assert t.ratio.to_dict() == {"base": 1.0, "other": 3.0}
    assert t.seconds.to_dict() == {"base": 10.0, "other": 10.0}
    assert t.rounds.to_dict(orient="list") == times and t.rounds.index.name == "round"


def test_energy_and_roofline_and_summary_arithmetic():
    e = measure.energy_estimate(3.6e15, peak_flops_per_second=1e12, power_watts=100)
    assert (e.seconds, e.joules, e.kwh) == pytest.approx((3600, 3.6e5, 0.1))
    assert measure.energy_estimate(0, peak_flops_per_second=1, power_watts=1).joules == 0
    roof = measure.Roofline(peak_flops=8.0, bandwidth=2.0)
    assert roof.ridge == 4.0 and roof.attainable(4.0) == 8.0 and roof.attainable(3.0) == 6.0
    assert roof.fraction(3.0, 2.0) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        roof.attainable([1.0, float("inf")])
    s = measure.summary("int8", accuracy=0.93, baseline_accuracy=0.934, size_bytes=250_000,
                        baseline_size_bytes=1_000_000, flops=4.7e5, baseline_flops=4.7e5,
                        latency_ratio=0.5)
    assert str(s) == ("int8: accuracy 93.0% (-0.4 points), 4.0x smaller, 1.00x the FLOPs, "
                      "2.00x the speed of the fp32 baseline")
    with pytest.raises(ValueError, match="between 0 and 1"):
        measure.summary("x", accuracy=0.9, baseline_accuracy=1.2, size_bytes=1,
                        baseline_size_bytes=1, flops=1.0, baseline_flops=1.0, latency_ratio=1.0)


def test_latency_text_matmul_rates_and_the_roofline_they_make(monkeypatch):
    assert str(measure.Latency(median=0.002, iqr=0.001, threads=2, runs=5)) == (
        "2.000 ms (IQR 1.000 ms, 2 thread(s))")
    sweep = measure.matmul_throughput([8], threads=1, min_run_time=0.01)
    assert list(sweep.columns) == ["n", "seconds", "flop_per_s"]
    assert sweep["flop_per_s"].iloc[0] == pytest.approx(2 * 8**3 / sweep["seconds"].iloc[0])
    seen = {}

    def sweep_fake(sizes, *, threads):
        seen["sweep"] = (list(sizes), threads)
        return pd.DataFrame({"n": [2, 4], "seconds": [1.0, 1.0], "flop_per_s": [5.0, 7.0]})

    def bandwidth_fake(n_bytes, *, threads):
        seen["bandwidth"] = (n_bytes, threads)
        return 3.0

    monkeypatch.setattr(measure, "matmul_throughput", sweep_fake)
    monkeypatch.setattr(measure, "memory_bandwidth", bandwidth_fake)
    roof = measure.measure_roofline(threads=2, sizes=(2, 4), n_bytes=8192)
    assert (roof.peak_flops, roof.bandwidth) == (7.0, 3.0)
    assert seen == {"sweep": ([2, 4], 2), "bandwidth": (8192, 2)}


def test_layer_costs_of_a_layer_without_counted_flops():
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).eval()
    costs = measure.layer_costs(net, torch.zeros(5, 3), timed=True, min_run_time=0.001)
    assert costs["flops"].tolist() == [2 * 5 * 3 * 4, 0]
    assert costs["flop_per_s"].iloc[0] > 0 and np.isnan(costs["flop_per_s"].iloc[1])
    assert costs["intensity"].iloc[1] == 0.0


def test_summary_accepts_the_ends_of_the_accuracy_range():
    s = measure.summary("x", accuracy=0.0, baseline_accuracy=1.0, size_bytes=1,
                        baseline_size_bytes=1, flops=1.0, baseline_flops=1.0, latency_ratio=1.0)
    assert s.accuracy == 0.0 and "-100.0 points" in str(s)


def test_count_flops_of_a_callable_and_of_several_inputs():
    lin = nn.Linear(4, 3, bias=False)
    assert measure.count_flops(lambda a, b: lin(a) + lin(b),
                               (torch.zeros(2, 4), torch.zeros(2, 4))) == 2 * 2 * 2 * 4 * 3
    with pytest.raises(TypeError):
        measure.count_flops(3, torch.zeros(1))
    assert measure.size_on_disk({"w": torch.zeros(1000)}) > 4000


# =================================================================================== train


def _tiny_split():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return data.Split(X, y, X[:10], y[:10], "classification", 2, "tiny")


@pytest.mark.parametrize(("name", "cls", "extra"), [
    ("adam", torch.optim.Adam, {}),
    ("adamw", torch.optim.AdamW, {}),
    ("sgd", torch.optim.SGD, {"momentum": 0.9}),
])
def test_fit_builds_the_optimizer_it_is_asked_for(name, cls, extra):
    seen = []
    handle = register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: seen.append(opt))
    try:
        train.fit(nn.Linear(4, 2), _tiny_split(), steps=2, lr=0.02, weight_decay=0.05,
                  optimizer=name, device="cpu")
    finally:
        handle.remove()
    assert len(seen) == 2 and type(seen[0]) is cls
    group = seen[0].param_groups[0]
    assert group["lr"] == 0.02 and group["weight_decay"] == 0.05
    for key, value in extra.items():
        assert group[key] == value


def test_adamw_decays_the_weights_decoupled_from_the_gradient():
    """With a zero gradient Adam's L2 penalty still moves a weight by about lr per step; AdamW
    shrinks it by the factor 1 - lr·weight_decay, exactly."""
    split = _tiny_split()

    class Frozen(nn.Module):        # the output does not depend on w: its gradient is 0
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(2))

        def forward(self, x):
            return x[:, :2] * 0 + self.w * 0

    net = Frozen()
    train.fit(net, split, steps=1, lr=0.1, weight_decay=0.5, optimizer="adamw", device="cpu")
    torch.testing.assert_close(net.w.detach(), torch.full((2,), 1 - 0.1 * 0.5))


def test_fit_history_rows_epochs_and_constant_learning_rate():
    split = _tiny_split()
    dlimits.start_ledger()
    res = train.fit(nn.Linear(4, 2), split, steps=10, batch_size=16, lr=0.01, eval_every=4,
                    device="cpu", label="tiny run")
    h = res.history
    assert h["step"].tolist() == [4, 8, 10] and res.steps == 10
    np.testing.assert_allclose(h["epoch"], np.array([4, 8, 10]) / 3)     # 3 batches per epoch
    assert res.learning_rates.tolist() == [0.01] * 10
    assert res.n_params == 4 * 2 + 2
    # training FLOPs: batches of 16, 16, 8 in every epoch, 2·(4·2) FLOPs forward per example
    # and as many for the weight gradient
    assert res.train_flops == 4 * 8 * (16 + 16 + 8 + 16 + 16 + 8 + 16 + 16 + 8 + 16)
    assert dlimits.runtime.ledger().entries["tiny run"] == res.train_flops
    assert res.test_error == float(h["test_error"].iloc[-1])
    assert res.test_loss == float(h["test_loss"].iloc[-1])
    assert res.final["step"] == 10 and (h["seconds"].diff().dropna() >= 0).all()
    assert h["seconds"].iloc[-1] <= res.seconds < 60
    final = train.evaluate(res.model, split.X_test, split.y_test, record=False)
    assert res.test_loss == pytest.approx(final["loss"]) and res.test_error == final["error"]
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        train.fit(nn.Linear(4, 2), split, steps=1, weight_decay=-0.1)
    epochs = train.fit(nn.Linear(4, 2), split, epochs=2, batch_size=16)   # default device
    assert epochs.steps == 6 and epochs.history["epoch"].tolist() == [2.0]
    assert next(epochs.model.parameters()).device == dlimits.get_device()


def test_fit_train_loss_is_the_mean_of_the_steps_since_the_last_evaluation(monkeypatch):
    split = _tiny_split()
    losses = []
    original = train._loss

    def spy(task, out, y):
        loss = original(task, out, y)
        losses.append(float(loss.detach()))
        return loss

    monkeypatch.setattr(train, "_loss", spy)
    res = train.fit(nn.Linear(4, 2), split, steps=6, batch_size=40, lr=0.1, eval_every=3,
                    device="cpu")
    assert res.history["train_loss"].tolist() == pytest.approx(
        [np.mean(losses[:3]), np.mean(losses[3:])])


def test_evaluate_sums_over_batches_and_uses_mse_for_regression():
    torch.manual_seed(6)
    logits, labels = torch.randn(10, 3), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    whole = train.evaluate(nn.Identity(), logits, labels, batch_size=4096, record=False)
    pieces = train.evaluate(nn.Identity(), logits, labels, batch_size=3, record=False)
    assert whole["loss"] == pytest.approx(float(F.cross_entropy(logits, labels)), rel=1e-6)
    assert pieces["loss"] == pytest.approx(whole["loss"], rel=1e-6)
    wrong = float((logits.argmax(1) != labels).float().mean())
    assert whole["error"] == pieces["error"] == pytest.approx(wrong)
    pred, target = torch.tensor([[1.0], [2.0], [4.0]]), torch.tensor([1.0, 1.0, 1.0])
    reg = train.evaluate(nn.Identity(), pred, target, task="regression", batch_size=2,
                         record=False)
    assert reg["loss"] == reg["error"] == pytest.approx((0 + 1 + 9) / 3)
    dlimits.start_ledger()
    lin = nn.Linear(3, 3, bias=False)
    out = train.evaluate(lin, logits, labels)
    assert out["flops"] == 2 * 10 * 3 * 3 == dlimits.runtime.ledger().entries["evaluation"]
    assert lin.training, "evaluate puts the model back in training mode"


# ============================================================================== exercises


def test_check_stops_at_the_first_failed_condition(capsys):
    evaluated = []

    def condition(value):
        def run():
            evaluated.append(value)
            return value
        return run

    exercises.check("ex-x", ("first holds", condition(True)), ("second fails", condition(False)),
                    ("third is never asked", condition(True)))
    out = capsys.readouterr().out
    assert out == "ex-x: not yet — second fails\n"
    assert evaluated == [True, False]
    exercises.check("ex-y", ("fails first", lambda: False), ("holds", lambda: True))
    out = capsys.readouterr().out
    assert "passed" not in out and out == "ex-y: not yet — fails first\n"
    exercises.check("ex-z", ("a", lambda: True), ("b", lambda: np.bool_(True)))
    assert capsys.readouterr().out == "ex-z: passed (2 checks)\n"


def test_check_reports_why_a_condition_failed(capsys):
    def starter():
        raise NotImplementedError("write your code here")

    exercises.check("ex-s", ("starter done", starter))
    assert capsys.readouterr().out == (
        "ex-s: not yet — starter done (your cell above still raises NotImplementedError)\n")
    exercises.check("ex-n", ("defined", lambda: undefined_thing))  # noqa: F821
    assert capsys.readouterr().out == (
        "ex-n: not yet — defined (`undefined_thing` is not defined yet: run your cell above "
        "first)\n")
    exercises.check("ex-e", ("no crash", lambda: [][1]))
    assert capsys.readouterr().out == (
        "ex-e: not yet — no crash (checking it raised IndexError: list index out of range)\n")
    for bad in (("only a description",), ("d", "not callable"), (3, lambda: True)):
        with pytest.raises(TypeError, match="condition 2 of 'ex-b' must be a pair"):
            exercises.check("ex-b", ("fine", lambda: True), bad)
    with pytest.raises(ValueError):
        exercises.check("  ", ("x", lambda: True))
    with pytest.raises(TypeError, match="must return True or False, got NoneType None; write "
                                        "the comparison into the condition"):
        exercises.check("ex-t", ("none is not a verdict", lambda: None))

    def raises_a_bare_name_error():
        raise NameError("total_cost")

    exercises.check("ex-m", ("named", raises_a_bare_name_error))
    assert "(`total_cost` is not defined yet" in capsys.readouterr().out


# ================================================================================== claims


def test_claim_note_formats_its_values():
    note = claims.ClaimNote("a statement", {
        "n": 1234567, "b": 0.123456, "flag": True, "big": 1e20, "i": np.int64(3), "f": 2.0,
        "nan": float("nan"), "word": "x" * 100, "neg": -2.5, "npflag": np.bool_(False),
        "edge": 1e15})
    text = note.text()
    assert text.startswith("Note: the text says “a statement”; with the numbers of this run it "
                           "no longer holds (n = 1,234,567, b = 0.1235, flag = True, big = 1e+20, "
                           "i = 3, f = 2, nan = nan, word = '")
    assert f"word = '{'x' * 76}..., neg = -2.5, npflag = False, edge = 1e+15). The" in text
    assert text.endswith("may not apply.")
    plain = claims.ClaimNote("s", {}).text()
    assert "holds. The notebook" in plain and "()" not in plain
    assert repr(note) == text


def test_values_are_cut_only_beyond_80_characters():
    exact, over = "y" * 78, "y" * 79          # their reprs are 80 and 81 characters long
    assert f"a = '{exact}'" in claims.ClaimNote("s", {"a": exact}).text()
    assert f"a = '{'y' * 76}...)" in claims.ClaimNote("s", {"a": over}).text()


def test_a_note_is_printed_in_plain_python_without_ipython(monkeypatch, capsys):
    monkeypatch.delenv(claims.STRICT_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "IPython", None)          # import IPython fails
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    claims.claim(False, "no IPython here", n=3)
    out = capsys.readouterr().out
    assert out.startswith("Note: the text says “no IPython here”") and "(n = 3)" in out
    with pytest.raises(TypeError, match="got list"):
        claims.claim([True], "a list is not a verdict")


@pytest.mark.parametrize(("value", "expected"), [(" TRUE ", True), ("Yes", True), ("off", False),
                                                 ("False", False)])
def test_strict_mode_ignores_case_and_spaces(monkeypatch, value, expected):
    monkeypatch.setenv(claims.STRICT_ENV, value)
    assert claims.strict_mode() is expected


def test_a_false_claim_in_strict_mode_names_no_values_when_given_none(monkeypatch):
    monkeypatch.setenv(claims.STRICT_ENV, "1")
    with pytest.raises(claims.ClaimFailed) as info:
        claims.claim(False, "  padded words  ")
    assert str(info.value) == "The text says “padded words”, but it is false here."
    monkeypatch.setenv(claims.STRICT_ENV, "0")
    assert claims.claim(np.array(False), "a 0-d false array is a false claim") is None


# ==================================================================================== bill


def test_bill_after_follows_each_halving_time():
    b = bill.training_bill(1e24)
    later = bill.bill_after(b, 3.0, algorithmic_halving_years=1.5, hardware_halving_years=3.0,
                            efficiency=2.0)
    flop_factor = 1 / (2.0 * 2 ** (3.0 / 1.5))
    assert later.flop == pytest.approx(b.flop * flop_factor)
    assert later.gpu_hours == pytest.approx(b.gpu_hours * flop_factor)
    assert later.mwh == pytest.approx(b.mwh * flop_factor)
    assert later.tco2e == pytest.approx(b.tco2e * flop_factor)
    assert later.usd == pytest.approx(b.usd * flop_factor / 2)
    assert set(b.as_dict()) == {"flop", "gpu_hours", "usd", "mwh", "tco2e"}
    assert b.as_dict()["usd"] == b.usd


def test_training_bill_uses_every_hardware_assumption():
    hw = bill.Hardware(peak_flop_per_s=1e12, utilisation=0.5, usd_per_gpu_hour=3.0,
                       kw_per_gpu=2.0, pue=1.5, kg_co2e_per_kwh=0.2)
    b = bill.training_bill(1.8e15, hw)         # 1.8e15 / 5e11 = 3600 s = one GPU-hour
    assert (b.gpu_hours, b.usd, b.mwh, b.tco2e) == pytest.approx((1.0, 3.0, 0.003, 0.0006))
    assert bill.Hardware(kg_co2e_per_kwh=0).kg_co2e_per_kwh == 0.0
    with pytest.raises(ValueError, match="finite"):
        bill.Hardware(pue=float("inf"))
    with pytest.raises(ValueError, match="Hardware, got str"):
        bill.training_bill(1.0, "A100")
    with pytest.raises(ValueError, match="Bill, got dict"):
        bill.bill_after({"usd": 1.0}, 1.0)


def test_years_to_pay_and_the_optimal_split():
    assert float(bill.years_to_pay(16, algorithmic_halving_years=1.0, hardware_halving_years=3.0,
                                   efficiency=2.0)) == pytest.approx(3 / (1 + 1 / 3))
    law = bill.ComputeOptimalLaw(E=1.0, A=2.0, B=3.0, alpha=0.5, beta=0.25)
    n, d = law.optimal(6e6)
    g = (0.5 * 2.0 / (0.25 * 3.0)) ** (1 / 0.75)
    assert n == pytest.approx(g * 1e6 ** (0.25 / 0.75)) and d == pytest.approx(6e6 / (6 * n))
    assert law.loss(4.0, 16.0) == pytest.approx(1.0 + 2.0 / 2 + 3.0 / 2)
    with pytest.raises(ValueError, match="compute must be > 0"):
        law.optimal(0.0)
    with pytest.raises(ValueError, match="factor"):
        bill.years_to_pay(0.0)
    assert bill.Hardware(pue=1.0).pue == 1.0        # a PUE of exactly 1 is allowed


def test_extrapolate_line_per_replicate():
    samples = np.array([[-0.5, 2.0], [-0.25, 1.0], [0.1, 1.0], [0.0, 1.0]])
    line = fit.LineFit(slope=-0.5, intercept=2.0, r2=1.0, ci={}, level=0.95, samples=samples)
    central, samples = bill.extrapolate_line(line, 10.0)          # log10 target = 1
    assert central == pytest.approx(2.0)
    np.testing.assert_allclose(samples, [2.0, 0.0, np.inf, np.inf])


# ==================================================================================== data


def test_known_importance_task_linear_truth():
    s = data.known_importance_task(2000, 400, n_features=6, n_informative=3, seed=0)
    w = np.array([3.0, 2.0, 1.0]) / np.sqrt(14)
    np.testing.assert_allclose(s.info["coef"], w)
    np.testing.assert_allclose(s.info["importance"], list(w**2) + [0, 0, 0])
    assert s.info["feature_names"] == ["x0", "x1", "x2", "x3", "x4", "x5"]
    assert s.info["proxy"] is None and s.info["nonlinear"] is False
    assert s.name == "known-importance-linear" and s.task == "classification"
    assert (s.n_train, s.n_test, s.n_features, s.n_classes) == (2000, 400, 6, 2)
    np.testing.assert_allclose(s.info["score"](s.X_test), s.X_test[:, :3] @ w, rtol=1e-5)
    # labels are Bernoulli(sigmoid(3·score)): their mean matches the mean probability
    p = 1 / (1 + np.exp(-3 * s.info["score"](s.X_train)))
    assert s.y_train.mean() == pytest.approx(p.mean(), abs=0.05)
    # the best rule, score > 0, errs on about the Bayes error of the examples
    agree = np.mean((s.info["score"](s.X_train) > 0) == s.y_train)
    assert agree == pytest.approx(1 - s.info["bayes_error"], abs=0.05) and agree < 0.95
    # the Bayes error is the mean of min(p, 1 - p) over the inputs
    z = np.random.default_rng(99).normal(size=(50_000, 6))
    q = 1 / (1 + np.exp(-3 * s.info["score"](z)))
    assert s.info["bayes_error"] == pytest.approx(np.mean(np.minimum(q, 1 - q)), abs=0.005)


def test_known_importance_task_nonlinear_shapes_are_centred_with_unit_variance():
    s = data.known_importance_task(50, 50, n_features=6, n_informative=5, nonlinear=True, seed=1)
    assert s.name == "known-importance-nonlinear" and s.info["nonlinear"] is True
    w = np.arange(5, 0, -1) / np.sqrt(55)
    x = np.array([[1.0, -2.0, 0.5, 1.0, -1.5, 9.0]])
    g = [1.0, (2.0 - np.sqrt(2 / np.pi)) / np.sqrt(1 - 2 / np.pi), (0.25 - 1) / np.sqrt(2),
         np.sin(2.0) / np.sqrt((1 - np.exp(-8)) / 2), -1.5]
    assert s.info["score"](x)[0] == pytest.approx(float(np.dot(w, g)))
    big = np.random.default_rng(2).normal(size=(200_000, 6))
    score = s.info["score"](big)
    assert score.mean() == pytest.approx(0.0, abs=0.01) and score.var() == pytest.approx(1, abs=0.02)


def test_known_importance_task_proxy_and_validation():
    s = data.known_importance_task(5000, 10, n_features=5, n_informative=3,
                                   proxy_correlation=0.8, seed=3)
    assert s.info["proxy"] == 3 and s.info["feature_names"][3] == "proxy"
    assert s.info["importance"][3] == 0
    r = np.corrcoef(s.X_train[:, 0], s.X_train[:, 3])[0, 1]
    assert r == pytest.approx(0.8, abs=0.02)
    assert np.std(s.X_train[:, 3]) == pytest.approx(1.0, abs=0.03)
    moved = s.X_test.copy()
    moved[:, 3:] += 5
    np.testing.assert_allclose(s.info["score"](moved), s.info["score"](s.X_test))
    again = data.known_importance_task(5000, 10, n_features=5, n_informative=3,
                                       proxy_correlation=0.8, seed=3)
    np.testing.assert_array_equal(again.X_train, s.X_train)
    np.testing.assert_array_equal(again.y_train, s.y_train)
    assert not np.array_equal(s.X_train[:10], s.X_test)
    for kwargs, match in [
        ({"n_features": 3, "n_informative": 4}, "larger than n_features"),
        ({"proxy_correlation": 1.0}, "below 1"),
        ({"n_features": 4, "n_informative": 4, "proxy_correlation": 0.5}, "uninformative"),
        ({"n_features": 1, "n_informative": 1}, "n_features must be >= 2"),
        ({"proxy_correlation": -0.1}, ">= 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            data.known_importance_task(10, 10, **kwargs)


def test_tables_ship_with_the_package():
    names = data.tables()
    assert names == sorted(names) and "compute_record" in names
    assert all(not n.endswith(".csv") for n in names)
    first = data.table("compute_record", nrows=2)
    assert len(first) == 2 and "source" in first.columns
    full = data.table("compute_record.csv")
    assert first["source"].tolist() == full["source"].head(2).tolist()
    assert full["source"].notna().all()
    with pytest.raises(ValueError, match="Unknown table.*'nope'; the package ships "
                       + re.escape(", ".join(names))):
        data.table("nope")
    with pytest.raises(TypeError, match="string"):
        data.table(3)


def test_subsample_of_a_regression_task_and_of_a_class_with_two_examples():
    reg = data.teacher_student(60, 10, seed=0)
    sub = reg.subsample(30, seed=0)
    assert sub.n_train == 30 and sub.task == "regression"
    X = np.arange(24, dtype=np.float32).reshape(12, 2)
    y = np.array([0] * 5 + [1] * 5 + [2] * 2)
    sub = data.Split(X, y, X, y, "classification", 3, "pairs").subsample(6, seed=0)
    counts = np.bincount(sub.y_train, minlength=3)
    assert counts.sum() == 6 and counts[2] == 1 and counts.min() >= 1     # every class kept


def test_tensors_go_to_the_device_asked_for():
    s = data.teacher_student(20, 5, seed=0)
    X, y, X_test, y_test = s.tensors("meta")          # a device without data, on any machine
    assert {t.device.type for t in (X, y, X_test, y_test)} == {"meta"}
    assert X.shape == (20, 16) and y_test.shape == (5,)


def test_wine_and_diabetes_load_with_their_feature_names():
    wine = data.load("wine")
    assert (wine.n_train + wine.n_test, wine.n_features, wine.n_classes) == (178, 13, 3)
    assert len(wine.info["feature_names"]) == 13 and wine.task == "classification"
    np.testing.assert_allclose(wine.X_train.mean(axis=0), 0, atol=1e-5)
    diabetes = data.load("diabetes", test_size=0.5)
    assert diabetes.task == "regression" and diabetes.n_classes == 0
    assert (diabetes.n_train, diabetes.n_test, diabetes.n_features) == (221, 221, 10)
    assert diabetes.info["feature_names"][:3] == ["age", "sex", "bmi"]
    assert diabetes.y_train.dtype == np.float32 and diabetes.y_train.min() >= 25
    assert diabetes.y_train.mean() > 100, "the target stays in its own units"
    np.testing.assert_allclose(diabetes.X_train.std(axis=0), 1, atol=1e-4)
    assert len(data.load("breast_cancer").info["feature_names"]) == 30
    digits = data.load("digits", test_size=0.5)
    assert digits.info["image_shape"] == (8, 8) and digits.n_test == 899
    assert data.load("mnist5k").info["image_shape"] == (28, 28)


# ================================================================================= explain


def test_rank_agreement_and_top_k_by_hand():
    assert explain.rank_agreement([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(0.8)
    # magnitudes: -4 is the most important feature
    assert explain.rank_agreement([1, 2, 3, -4], [1, 2, 3, 4]) == pytest.approx(1.0)
    assert explain.rank_agreement([1, 2, 3, -4], [1, 2, 3, 4], absolute=False) == pytest.approx(
        -0.2)
    # ties broken towards the lower index
    assert explain.top_k_overlap([1, 1, 0], [1, 0, 1], 1) == 1.0
    assert explain.top_k_overlap([[3, 2, 1], [1, 2, 3]], [[3, 1, 2], [3, 2, 1]], 2) == 0.5


def test_two_features_rank_and_a_bad_target_is_refused():
    assert explain.rank_agreement([1, 2], [1, 2]) == 1.0
    assert explain.rank_agreement([[1, 2], [2, 1]], [[1, 2], [1, 2]], absolute=False) == 0.0
    predict = lambda X: np.column_stack([1 - X.mean(axis=1), X.mean(axis=1)])  # noqa: E731
    X = np.full((2, 3), 0.5)
    for target in (np.array([0, 1, 0]), np.array([0.0, 1.0]), np.array([[0], [1]])):
        with pytest.raises(ValueError, match="target must be 2 integer class indices"):
            explain.deletion_curve(predict, X, [1, 2, 3], target=target)
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        explain.deletion_curve(predict, X, [1, 2, 3], target=np.array([0, 2]))


def test_deletion_and_insertion_curves_with_a_steps_grid_and_auc():
    predict = lambda X: np.column_stack([1 - X.mean(axis=1), X.mean(axis=1)])  # noqa: E731
    X = np.array([[1.0, 1.0, 1.0, 1.0, 0.0]])
    curve = explain.deletion_curve(predict, X, [5, 4, 3, 2, 1], steps=2)
    # step s removes round(s·5/2) features: 0, 2 (round(2.5)), 5
    np.testing.assert_allclose(curve.fractions, [0, 0.4, 1.0])
    np.testing.assert_allclose(curve.scores, [0.8, 0.4, 0.0])
    assert curve.auc == pytest.approx(0.5 * 0.4 * (0.8 + 0.4) + 0.5 * 0.6 * 0.4)
    insertion = explain.insertion_curve(predict, X, [5, 4, 3, 2, 1], steps=2, baseline=0.5)
    np.testing.assert_allclose(insertion.scores, [0.5, 0.7, 0.8])
    assert insertion.kind == "insertion" and insertion.target.tolist() == [1]
    assert curve.frame()["score"].tolist() == pytest.approx([0.8, 0.4, 0.0])


def test_x_for_returns_inf_when_the_answer_overflows_a_float():
    from dlimits.fit import PowerLawFit

    fit = PowerLawFit(a=1.0, b=0.001, c=0.0, ci={}, level=0.95, samples=np.zeros((0, 3)))
    assert fit.x_for(1e-10) == float("inf")
    assert fit.x_for(0.9) == pytest.approx(0.9 ** -1000, rel=1e-12)


def test_distill_counts_flops_of_a_batch_norm_student_without_touching_it():
    # counting on the trained student itself, in training mode, crashed on one example
    from dlimits import compress

    torch.manual_seed(0)
    student = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8),
                                  torch.nn.ReLU(), torch.nn.Linear(8, 3))
    X = torch.randn(32, 6)
    y = torch.randint(0, 3, (32,))
    teacher = torch.randn(32, 3)
    out = compress.distill(student, X, y, teacher, T=2.0, alpha=0.5, epochs=1, label="test")
    assert not out.training
