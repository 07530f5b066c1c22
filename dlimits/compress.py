"""The compression techniques of Part III as small, tested functions.

Chapters 3.2–3.6 teach each technique in its own notebook; the synthesis (chapter 4.1) combines
them, so the code it needs lives here:

* structured pruning of an MLP's hidden units by the L2 norm of their incoming weights
  (:func:`keep_units`, :func:`slim_mlp`, chapter 3.2);
* global unstructured magnitude pruning with :mod:`torch.nn.utils.prune`
  (:func:`prune_global`, :func:`weight_sparsity`, chapter 3.2);
* b-bit affine fake-quantization of weights, per channel or per tensor, and the size of the
  packed b-bit codes (:func:`fake_quantize`, :func:`with_quantized_weights`, :func:`pack`,
  :func:`packed_size`, chapter 3.3);
* truncated-SVD factorisation of a linear layer (:func:`factorise`, :func:`low_rank_first`,
  chapter 3.4);
* the distillation loss with its :math:`T^2` factor and a short training loop that uses it
  (:func:`soft_kl`, :func:`distill_loss`, :func:`distill`, chapter 3.5);
* the small half-resolution CNN that chapter 3.6's architecture search found
  (:func:`half_res_cnn`).

Every function works on a copy where it changes a model, and validates its arguments.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune

from ._validate import fraction, positive_float, positive_int
from .measure import count_flops, size_on_disk
from .runtime import record_flops

__all__ = [
    "keep_units", "slim_mlp", "prune_global", "weight_sparsity", "affine_params",
    "fake_quantize", "with_quantized_weights", "pack", "packed_size", "factorise",
    "low_rank_first", "soft_kl", "distill_loss", "distill", "half_res_cnn",
]


def _linears(model: nn.Module) -> list[nn.Linear]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def _bits(bits) -> int:
    bits = positive_int("bits", bits)
    if bits > 8:
        raise ValueError(f"bits must be between 1 and 8 (codes are packed into bytes), got {bits}.")
    return bits


# ------------------------------------------------------------------ structured pruning (3.2)


def keep_units(layer: nn.Linear, next_layer: nn.Linear, keep: float) -> tuple[nn.Linear, nn.Linear]:
    """Keep the hidden units of ``layer`` with the largest incoming-weight L2 norm.

    Returns new copies of ``layer`` (fewer outputs) and ``next_layer`` (fewer inputs); a share
    ``keep`` of the units survives (at least one), in their original order.

    >>> a, b = keep_units(nn.Linear(6, 8), nn.Linear(8, 3), 0.25)
    >>> (a.out_features, b.in_features, b.out_features)
    (2, 2, 3)
    """
    if not isinstance(layer, nn.Linear) or not isinstance(next_layer, nn.Linear):
        raise TypeError("keep_units needs two nn.Linear layers.")
    if layer.out_features != next_layer.in_features:
        raise ValueError(f"layer gives {layer.out_features} outputs but next_layer takes "
                         f"{next_layer.in_features} inputs.")
    keep = fraction("keep", keep, open_interval=False)
    if keep == 0:
        raise ValueError("keep must be above 0: at least one unit has to stay.")
    w = layer.weight.detach()
    n_keep = max(1, round(keep * layer.out_features))
    units = w.norm(dim=1).argsort(descending=True)[:n_keep].sort().values
    smaller = nn.Linear(layer.in_features, n_keep, bias=layer.bias is not None)
    following = nn.Linear(n_keep, next_layer.out_features, bias=next_layer.bias is not None)
    with torch.no_grad():
        smaller.weight.copy_(w[units])
        if layer.bias is not None:
            smaller.bias.copy_(layer.bias.detach()[units])
        following.weight.copy_(next_layer.weight.detach()[:, units])
        if next_layer.bias is not None:
            following.bias.copy_(next_layer.bias.detach())
    return smaller, following


def slim_mlp(model: nn.Sequential, keep: float) -> nn.Sequential:
    """A copy of an MLP (``nn.Sequential`` of linear layers and activations) that keeps a share
    ``keep`` of the units of every hidden layer, chosen by :func:`keep_units`.

    >>> from dlimits.models import mlp
    >>> net = slim_mlp(mlp(20, [16, 8], 3, seed=0), 0.5)
    >>> [m.out_features for m in net if isinstance(m, nn.Linear)]
    [8, 4, 3]
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"slim_mlp needs an nn.Sequential MLP, got {type(model).__name__}.")
    layers = list(copy.deepcopy(model))
    where = [i for i, m in enumerate(layers) if isinstance(m, nn.Linear)]
    if len(where) < 2:
        raise ValueError("slim_mlp needs at least two linear layers (one hidden layer).")
    for i, j in zip(where[:-1], where[1:], strict=True):
        layers[i], layers[j] = keep_units(layers[i], layers[j], keep)
    return nn.Sequential(*layers)


# -------------------------------------------------------------- unstructured pruning (3.2)


def prune_global(model: nn.Module, sparsity: float) -> nn.Module:
    """A copy of ``model`` with the smallest-magnitude share ``sparsity`` of all its linear
    weights set to zero, chosen across layers (global L1 pruning), masks made permanent.

    >>> net = prune_global(nn.Sequential(nn.Linear(10, 10), nn.Linear(10, 10)), 0.9)
    >>> round(weight_sparsity(net), 2)
    0.9
    """
    sparsity = fraction("sparsity", sparsity, open_interval=False)
    model = copy.deepcopy(model)
    layers = _linears(model)
    if not layers:
        raise ValueError("model has no nn.Linear layer to prune.")
    if sparsity > 0:
        params = [(layer, "weight") for layer in layers]
        prune.global_unstructured(params, prune.L1Unstructured, amount=sparsity)
        for layer in layers:
            prune.remove(layer, "weight")
    return model


def weight_sparsity(model: nn.Module) -> float:
    """Share of the weights of ``model``'s linear layers that are exactly zero."""
    layers = _linears(model)
    if not layers:
        raise ValueError("model has no nn.Linear layer.")
    zeros = sum(int((layer.weight == 0).sum()) for layer in layers)
    return zeros / sum(layer.weight.numel() for layer in layers)


# ---------------------------------------------------------------------- quantization (3.3)


def affine_params(low: torch.Tensor, high: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and zero point mapping ``[low, high]`` (widened to hold 0) to ``0 … 2**bits - 1``."""
    bits = _bits(bits)
    low = torch.clamp(torch.as_tensor(low, dtype=torch.float32), max=0.0)
    high = torch.clamp(torch.as_tensor(high, dtype=torch.float32), min=0.0)
    scale = torch.clamp((high - low) / (2**bits - 1), min=1e-12)
    return scale, torch.round(-low / scale)


def _codes(w: torch.Tensor, bits: int, per_channel: bool):
    rows = w.detach().reshape(len(w), -1)
    if per_channel:
        low, high = rows.amin(dim=1, keepdim=True), rows.amax(dim=1, keepdim=True)
    else:
        low, high = rows.min(), rows.max()
    scale, zero_point = affine_params(low, high, bits)
    q = torch.clamp(torch.round(rows / scale) + zero_point, 0, 2**bits - 1)
    return q, scale, zero_point


def fake_quantize(w: torch.Tensor, bits: int, per_channel: bool = True) -> torch.Tensor:
    """Round ``w`` to a ``bits``-bit affine grid and map it back to floats.

    ``per_channel`` uses one grid per output row (dim 0); otherwise one grid for all of ``w``.
    A tensor that already lies on the grid comes back unchanged.

    >>> w = torch.tensor([[-1.0, -0.4, 0.0, 0.3, 0.5]])
    >>> fake_quantize(w, 2).numpy().round(3).tolist()
    [[-1.0, -0.5, 0.0, 0.5, 0.5]]
    """
    if not isinstance(w, torch.Tensor) or w.ndim < 1 or w.numel() == 0:
        raise TypeError("w must be a non-empty tensor.")
    q, scale, zero_point = _codes(w, _bits(bits), per_channel)
    return (scale * (q - zero_point)).reshape(w.shape).to(w.dtype)


def with_quantized_weights(model: nn.Module, bits: int, per_channel: bool = True) -> nn.Module:
    """A copy of ``model`` whose linear and convolution weights are fake-quantized to ``bits``
    bits (post-training quantization; biases and activations stay in float32)."""
    bits = _bits(bits)
    model = copy.deepcopy(model)
    found = False
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear | nn.Conv2d):
                layer.weight.copy_(fake_quantize(layer.weight, bits, per_channel))
                found = True
    if not found:
        raise ValueError("model has no nn.Linear or nn.Conv2d layer to quantize.")
    return model


def pack(model: nn.Module, bits: int) -> dict[str, torch.Tensor]:
    """State dict with the per-channel ``bits``-bit codes of every linear layer packed into
    ``uint8`` arrays (``bits / 8`` bytes per weight), one float32 scale and one ``uint8`` zero
    point per row, and the float32 biases — how chapter 3.3 stores low-bit weights."""
    bits = _bits(bits)
    state: dict[str, torch.Tensor] = {}
    for name, layer in model.named_modules():
        if isinstance(layer, nn.Linear):
            q, scale, zero_point = _codes(layer.weight, bits, per_channel=True)
            q = q.to(torch.uint8).numpy()
            code_bits = np.unpackbits(q.reshape(-1, 1), axis=1)[:, 8 - bits:]
            state[name + ".codes"] = torch.from_numpy(np.packbits(code_bits))
            state[name + ".scale"] = scale.flatten()
            state[name + ".zero_point"] = zero_point.flatten().to(torch.uint8)
            if layer.bias is not None:
                state[name + ".bias"] = layer.bias.detach().clone()
    if not state:
        raise ValueError("model has no nn.Linear layer to pack.")
    return state


def packed_size(model: nn.Module, bits: int) -> int:
    """Bytes on disk (``torch.save``) of :func:`pack` ``(model, bits)``."""
    return size_on_disk(pack(model, bits))


# ------------------------------------------------------------------------- low rank (3.4)


def factorise(linear: nn.Linear, rank: int) -> nn.Sequential:
    """Two linear layers whose product is the best rank-``rank`` approximation (truncated SVD)
    of ``linear``'s weight; the bias stays on the second.

    >>> layer = nn.Linear(6, 4)
    >>> pair = factorise(layer, 4)              # full rank: the same function
    >>> x = torch.randn(3, 6)
    >>> bool(torch.allclose(pair(x), layer(x), atol=1e-5))
    True
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"factorise needs an nn.Linear, got {type(linear).__name__}.")
    rank = positive_int("rank", rank)
    if rank > min(linear.in_features, linear.out_features):
        raise ValueError(f"rank must be at most min(in, out) = "
                         f"{min(linear.in_features, linear.out_features)}, got {rank}.")
    U, S, Vh = torch.linalg.svd(linear.weight.detach(), full_matrices=False)
    root = S[:rank].sqrt()
    first = nn.Linear(linear.in_features, rank, bias=False)
    second = nn.Linear(rank, linear.out_features, bias=linear.bias is not None)
    with torch.no_grad():
        first.weight.copy_(root[:, None] * Vh[:rank])
        second.weight.copy_(U[:, :rank] * root)
        if linear.bias is not None:
            second.bias.copy_(linear.bias)
    return nn.Sequential(first, second)


def low_rank_first(model: nn.Sequential, rank: int) -> nn.Sequential:
    """A copy of an MLP whose first layer is replaced by :func:`factorise` ``(layer, rank)``."""
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Linear):
        raise TypeError("low_rank_first needs an nn.Sequential whose first module is nn.Linear.")
    model = copy.deepcopy(model)
    model[0] = factorise(model[0], rank)
    return model


# --------------------------------------------------------------------- distillation (3.5)


def soft_kl(z: torch.Tensor, v: torch.Tensor, T: float) -> torch.Tensor:
    """KL(softmax(v/T) || softmax(z/T)) of teacher logits ``v`` and student logits ``z``,
    averaged over the batch."""
    T = positive_float("T", T)
    if z.shape != v.shape:
        raise ValueError(f"student logits {tuple(z.shape)} and teacher logits "
                         f"{tuple(v.shape)} must have the same shape.")
    return F.kl_div(F.log_softmax(z / T, dim=1), F.log_softmax(v / T, dim=1),
                    log_target=True, reduction="batchmean")


def distill_loss(z: torch.Tensor, v: torch.Tensor, y: torch.Tensor, T: float, alpha: float,
                 scale_t2: bool = True) -> torch.Tensor:
    """``alpha · T² · KL(softmax(v/T) || softmax(z/T)) + (1 − alpha) · CE(z, y)``.

    At ``alpha = 0`` it is the cross-entropy on the labels; ``scale_t2=False`` drops the
    ``T²`` that keeps the soft term's gradients of the same size at every temperature.
    """
    alpha = fraction("alpha", alpha, open_interval=False)
    hard = F.cross_entropy(z, y)
    if alpha == 0:
        return hard
    soft = soft_kl(z, v, T)
    return alpha * (T**2 if scale_t2 else 1.0) * soft + (1 - alpha) * hard


def distill(student: nn.Module, X: torch.Tensor, y: torch.Tensor, teacher_logits: torch.Tensor,
            *, T: float = 1.0, alpha: float = 0.5, epochs: int = 3, lr: float = 3e-3,
            batch_size: int = 64, seed: int = 0, label: str = "distillation") -> nn.Module:
    """Train ``student`` in place with :func:`distill_loss` (Adam, shuffled mini-batches) and
    return it in eval mode. Its training FLOPs go to the notebook's ledger under ``label``."""
    if not (len(X) == len(y) == len(teacher_logits)) or len(X) == 0:
        raise ValueError("X, y and teacher_logits must be non-empty and of the same length.")
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    lr = positive_float("lr", lr)
    student.train()
    opt = torch.optim.Adam(student.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(X), generator=gen).split(batch_size):
            loss = distill_loss(student(X[idx]), teacher_logits[idx], y[idx], T, alpha)
            opt.zero_grad()
            loss.backward()
            opt.step()
    record_flops(label, count_flops(student, X[:1], backward=True) * epochs * len(X))
    return student.eval()


# ------------------------------------------------------------- efficient architecture (3.6)


def half_res_cnn(c1: int = 4, c2: int = 8, k: int = 3, hidden: int = 64,
                 seed: int = 0) -> nn.Sequential:
    """The small CNN of chapter 3.6's search space for flat 784-pixel rows: a 2×2 average to
    14×14, two ``k``×``k`` convolutions (``c1``, ``c2`` channels, each with ReLU and 2×2
    max-pooling), then ``c2·9 → hidden → 10``. The defaults are the search's winner.

    >>> half_res_cnn()(torch.zeros(2, 784)).shape
    torch.Size([2, 10])
    """
    c1, c2, hidden = (positive_int("c1", c1), positive_int("c2", c2),
                      positive_int("hidden", hidden))
    k = positive_int("k", k)
    if k % 2 == 0:
        raise ValueError(f"k must be odd so that padding keeps the image size, got {k}.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)), nn.AvgPool2d(2),
            nn.Conv2d(1, c1, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * 9, hidden), nn.ReLU(), nn.Linear(hidden, 10))
