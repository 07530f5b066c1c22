"""Tests of dlimits.compress: the Part III techniques as functions."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlimits import compress, measure
from dlimits.models import mlp


def test_keep_units_keeps_the_largest_incoming_norms():
    layer, nxt = nn.Linear(3, 4), nn.Linear(4, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0, 0], [5, 0, 0], [0, 0.1, 0], [0, 3, 0]]))
    small, following = compress.keep_units(layer, nxt, 0.5)
    assert torch.equal(small.weight, layer.weight[[1, 3]])       # order kept
    assert torch.equal(following.weight, nxt.weight[:, [1, 3]])
    assert torch.equal(following.bias, nxt.bias)


def test_slim_mlp_shapes_and_original_untouched():
    net = mlp(20, [16, 8], 3, seed=0)
    before = [p.clone() for p in net.parameters()]
    slim = compress.slim_mlp(net, 0.25)
    assert [m.out_features for m in slim if isinstance(m, nn.Linear)] == [4, 2, 3]
    assert slim(torch.zeros(5, 20)).shape == (5, 3)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    # keeping every unit gives the same function
    full = compress.slim_mlp(net, 1.0)
    x = torch.randn(7, 20)
    assert torch.allclose(full(x), net(x), atol=1e-6)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5])
def test_slim_mlp_rejects_bad_keep(bad):
    with pytest.raises(ValueError):
        compress.slim_mlp(mlp(4, [4], 2), bad)


def test_slim_mlp_needs_a_hidden_layer():
    with pytest.raises(ValueError, match="hidden"):
        compress.slim_mlp(nn.Sequential(nn.Linear(4, 2)), 0.5)
    with pytest.raises(TypeError):
        compress.slim_mlp(nn.Linear(4, 2), 0.5)


def test_prune_global_reaches_the_sparsity_and_is_permanent():
    net = mlp(50, [40], 10, seed=0)
    pruned = compress.prune_global(net, 0.8)
    assert compress.weight_sparsity(pruned) == pytest.approx(0.8, abs=1e-3)
    assert compress.weight_sparsity(net) == 0.0                  # original untouched
    assert not any("mask" in n for n, _ in pruned.named_buffers())
    # global: the surviving weights are the largest in magnitude across layers
    kept = torch.cat([m.weight[m.weight != 0].abs() for m in pruned if isinstance(m, nn.Linear)])
    all_w = torch.cat([m.weight.detach().abs().flatten() for m in net if isinstance(m, nn.Linear)])
    assert kept.min() >= all_w.kthvalue(int(0.8 * all_w.numel())).values - 1e-7
    with pytest.raises(ValueError):
        compress.prune_global(net, 1.2)


def test_fake_quantize_levels_and_error():
    w = torch.randn(8, 30)
    for bits in (2, 4, 8):
        q = compress.fake_quantize(w, bits)
        assert all(len(torch.unique(row)) <= 2**bits for row in q)
        # a value on the grid stays put
        assert torch.allclose(compress.fake_quantize(q, bits), q, atol=1e-6)
    e4 = (compress.fake_quantize(w, 4) - w).norm()
    e8 = (compress.fake_quantize(w, 8) - w).norm()
    assert e8 < e4 / 8
    per_tensor = (compress.fake_quantize(w, 4, per_channel=False) - w).norm()
    assert per_tensor >= e4
    with pytest.raises(ValueError):
        compress.fake_quantize(w, 9)
    with pytest.raises(TypeError):
        compress.fake_quantize(w, 2.5)


def test_with_quantized_weights_copies_and_packed_size_shrinks():
    net = mlp(100, [64], 10, seed=0)
    q = compress.with_quantized_weights(net, 4)
    assert not torch.equal(q[0].weight, net[0].weight)
    assert torch.equal(q[0].bias, net[0].bias)
    fp32 = measure.size_on_disk(net)
    sizes = {b: compress.packed_size(net, b) for b in (2, 4, 8)}
    assert sizes[2] < sizes[4] < sizes[8] < fp32
    n_weights = 100 * 64 + 64 * 10
    assert sizes[8] - sizes[4] == pytest.approx(n_weights / 2, rel=0.02)
    with pytest.raises(ValueError):
        compress.with_quantized_weights(nn.ReLU(), 4)


def test_factorise_recovers_a_known_low_rank_matrix():
    torch.manual_seed(0)
    layer = nn.Linear(12, 9)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(9, 2) @ torch.randn(2, 12))  # rank 2
    pair = compress.factorise(layer, 2)
    assert pair[0].weight.shape == (2, 12) and pair[1].weight.shape == (9, 2)
    assert torch.allclose(pair[1].weight @ pair[0].weight, layer.weight, atol=1e-5)
    one = compress.factorise(layer, 1)
    s = torch.linalg.svdvals(layer.weight.detach())
    err = float(torch.linalg.norm(one[1].weight @ one[0].weight - layer.weight).detach())
    assert err == pytest.approx(float(s[1]), rel=1e-4)              # Eckart–Young
    with pytest.raises(ValueError):
        compress.factorise(layer, 10)


def test_low_rank_first_replaces_only_the_first_layer():
    net = mlp(30, [20, 10], 3, seed=0)
    cut = compress.low_rank_first(net, 5)
    assert isinstance(cut[0], nn.Sequential) and cut[0][0].out_features == 5
    assert cut[2] is not net[2] and torch.equal(cut[2].weight, net[2].weight)


def test_distill_loss_is_cross_entropy_at_alpha_zero_and_scales_with_t2():
    torch.manual_seed(0)
    z, v, y = torch.randn(16, 10), torch.randn(16, 10), torch.randint(0, 10, (16,))
    assert torch.equal(compress.distill_loss(z, v, y, 4.0, 0.0), F.cross_entropy(z, y))
    with_t2 = compress.distill_loss(z, v, y, 4.0, 1.0)
    without = compress.distill_loss(z, v, y, 4.0, 1.0, scale_t2=False)
    assert with_t2 == pytest.approx(16 * float(without), rel=1e-6)
    assert float(compress.soft_kl(z, z, 2.0)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        compress.distill_loss(z, v, y, 4.0, 1.5)
    with pytest.raises(ValueError):
        compress.soft_kl(z, v[:, :5], 1.0)


def test_distill_trains_a_student_towards_its_teacher():
    torch.manual_seed(0)
    X = torch.randn(256, 8)
    teacher = nn.Linear(8, 3)
    with torch.no_grad():
        logits = 3 * teacher(X)
    y = logits.argmax(1)
    student = mlp(8, [16], 3, seed=0)
    before = float((student(X).argmax(1) == y).float().mean())
    compress.distill(student, X, y, logits, T=2.0, epochs=20, lr=1e-2)
    after = float((student(X).argmax(1) == y).float().mean())
    assert after > max(0.9, before)
    with pytest.raises(ValueError):
        compress.distill(student, X, y[:10], logits)


def test_half_res_cnn_default_is_small():
    net = compress.half_res_cnn()
    assert net(torch.zeros(3, 784)).shape == (3, 10)
    flops = measure.count_flops(net, torch.zeros(1, 784))
    assert flops < 60_000
    with pytest.raises(ValueError):
        compress.half_res_cnn(k=4)
