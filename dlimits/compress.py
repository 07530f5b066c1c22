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

Every function works on a copy where it changes a model, and validates its arguments: flags
are ``True`` or ``False`` (never the string ``"False"``), and a model or tensor holding NaN or
infinite weights is refused, since compressing it gives meaningless numbers.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune

from ._validate import (
    finite_weights,
    flag,
    fraction,
    memory,
    module,
    positive_float,
    positive_int,
    tensor,
    text,
)
from ._validate import seed as check_seed
from .data import Split
from .measure import size_on_disk
from .train import fit

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
    for name, value in (("layer", layer), ("next_layer", next_layer)):
        if not isinstance(value, nn.Linear):
            raise TypeError(f"{name} must be an nn.Linear (keep_units needs two linear layers), "
                            f"got {type(value).__name__}.")
        finite_weights(name, value)
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
        raise TypeError(f"model must be an nn.Sequential MLP, got {type(model).__name__}.")
    layers = list(copy.deepcopy(model))
    where = [i for i, m in enumerate(layers) if isinstance(m, nn.Linear)]
    if len(where) < 2:
        raise ValueError("model needs at least two linear layers (one hidden layer) for "
                         "slim_mlp to slim.")
    finite_weights("model", model)
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
    _linears(model)
    finite_weights("model", model)
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
    """Scale and zero point mapping ``[low, high]`` (widened to hold 0) to ``0 … 2**bits - 1``.

    ``low`` and ``high`` are finite numbers or tensors of them, ``low <= high``.
    """
    bits = _bits(bits)
    for name, value in (("low", low), ("high", high)):
        _finite_bound(name, value)
    if bool(torch.any(torch.as_tensor(low, dtype=torch.float32)
                      > torch.as_tensor(high, dtype=torch.float32))):
        raise ValueError("low must be <= high: they are the smallest and largest value of the "
                         "range to quantize.")
    low = torch.clamp(torch.as_tensor(low, dtype=torch.float32), max=0.0)
    high = torch.clamp(torch.as_tensor(high, dtype=torch.float32), min=0.0)
    scale = torch.clamp((high - low) / (2**bits - 1), min=1e-12)
    return scale, torch.round(-low / scale)


def _finite_bound(name: str, value) -> None:
    if isinstance(value, bool | str) or value is None:
        raise TypeError(f"{name} must be a number or a tensor of numbers, got {value!r}.")
    try:
        t = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a number or a tensor of numbers, got "
                        f"{type(value).__name__}.") from None
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}.")
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinite values.")


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
    tensor("w", w)
    per_channel = flag("per_channel", per_channel)
    q, scale, zero_point = _codes(w, _bits(bits), per_channel)
    return (scale * (q - zero_point)).reshape(w.shape).to(w.dtype)


def with_quantized_weights(model: nn.Module, bits: int, per_channel: bool = True) -> nn.Module:
    """A copy of ``model`` whose linear and convolution weights are fake-quantized to ``bits``
    bits (post-training quantization; biases and activations stay in float32)."""
    bits = _bits(bits)
    module("model", model)
    per_channel = flag("per_channel", per_channel)
    finite_weights("model", model)
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


_PACKED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def pack(model: nn.Module, bits: int) -> dict[str, torch.Tensor]:
    """State dict with the per-channel ``bits``-bit codes of every linear and convolution layer
    packed into ``uint8`` arrays (``bits / 8`` bytes per weight), one float32 scale and one
    ``uint8`` zero point per output row (channel), and the float32 biases — how chapter 3.3
    stores low-bit weights.

    ``nn.Linear`` and ``nn.Conv1d/2d/3d`` layers are packed (a CNN's convolutions count). A
    model holding any other parameter or buffer (a normalisation layer, an embedding, a prune
    mask) is refused with a ``ValueError`` rather than under-counted: this packing has no codes
    for it.
    """
    bits = _bits(bits)
    module("model", model)
    finite_weights("model", model)
    for name, layer in model.named_modules():
        if isinstance(layer, _PACKED):
            continue
        own = [n for n, _ in layer.named_parameters(recurse=False)]
        own += [n for n, _ in layer.named_buffers(recurse=False)]
        if own:
            where = f"{name}.{own[0]}" if name else own[0]
            raise ValueError(
                f"model holds {where} in a {type(layer).__name__} layer, which pack() cannot "
                "store (it packs only nn.Linear and nn.Conv1d/2d/3d weights and biases); "
                "its packed size would be under-counted.")
    state: dict[str, torch.Tensor] = {}
    for name, layer in model.named_modules():
        if isinstance(layer, _PACKED):
            q, scale, zero_point = _codes(layer.weight, bits, per_channel=True)
            q = q.to(torch.uint8).numpy()
            code_bits = np.unpackbits(q.reshape(-1, 1), axis=1)[:, 8 - bits:]
            state[name + ".codes"] = torch.from_numpy(np.packbits(code_bits))
            state[name + ".scale"] = scale.flatten()
            state[name + ".zero_point"] = zero_point.flatten().to(torch.uint8)
            if layer.bias is not None:
                state[name + ".bias"] = layer.bias.detach().clone()
    if not state:
        raise ValueError("model has no nn.Linear or convolution layer to pack.")
    return state


def packed_size(model: nn.Module, bits: int) -> int:
    """Bytes on disk (``torch.save``) of :func:`pack` ``(model, bits)``: linear and convolution
    layers are counted; a model with other parameters or buffers is refused (see :func:`pack`)."""
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
        raise TypeError(f"linear must be an nn.Linear (factorise splits a linear layer), got "
                        f"{type(linear).__name__}.")
    finite_weights("linear", linear)
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


def _describe(model) -> str:
    if isinstance(model, nn.Sequential):
        return ("an empty nn.Sequential" if len(model) == 0
                else f"an nn.Sequential starting with {type(model[0]).__name__}")
    return type(model).__name__


def low_rank_first(model: nn.Sequential, rank: int) -> nn.Sequential:
    """A copy of an MLP whose first layer is replaced by :func:`factorise` ``(layer, rank)``."""
    if not isinstance(model, nn.Sequential) or len(model) == 0 or not isinstance(model[0],
                                                                                  nn.Linear):
        raise TypeError("model must be an nn.Sequential whose first module is an nn.Linear "
                        f"(low_rank_first factorises it), got {_describe(model)}.")
    finite_weights("model", model)
    model = copy.deepcopy(model)
    model[0] = factorise(model[0], rank)
    return model


# --------------------------------------------------------------------- distillation (3.5)


def _logits(name: str, value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of {what} logits, shape (batch, classes), got "
                        f"{type(value).__name__}.")
    return tensor(name, value, ndim=2)


def _same_shape(z: torch.Tensor, v: torch.Tensor) -> None:
    if z.shape != v.shape:
        raise ValueError(f"z (student logits, shape {tuple(z.shape)}) and v (teacher logits, "
                         f"shape {tuple(v.shape)}) must have the same shape.")


def _labels(name: str, y, z: torch.Tensor, logits: str = "z") -> None:
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of class indices, got {type(y).__name__}.")
    tensor(name, y, ndim=1, floating=False)
    if len(y) != len(z):
        raise ValueError(f"{name} has {len(y)} labels for {len(z)} examples; they must match.")
    if int(y.min()) < 0 or int(y.max()) >= z.shape[1]:
        raise ValueError(f"{name} must hold class indices 0..{z.shape[1] - 1} ({logits} has "
                         f"{z.shape[1]} columns, one per class), found {int(y.min())} to "
                         f"{int(y.max())}.")


def _soft_kl(z: torch.Tensor, v: torch.Tensor, T: float) -> torch.Tensor:
    return F.kl_div(F.log_softmax(z / T, dim=1), F.log_softmax(v / T, dim=1),
                    log_target=True, reduction="batchmean")


def _distill_loss(z, v, y, T: float, alpha: float, scale_t2: bool) -> torch.Tensor:
    """:func:`distill_loss` on checked arguments (``T`` and ``alpha`` floats)."""
    hard = F.cross_entropy(z, y)
    if alpha == 0:
        return hard
    _same_shape(z, v)
    soft = _soft_kl(z, v, T)
    return alpha * (T**2 if scale_t2 else 1.0) * soft + (1 - alpha) * hard


def soft_kl(z: torch.Tensor, v: torch.Tensor, T: float) -> torch.Tensor:
    """KL(softmax(v/T) || softmax(z/T)) of teacher logits ``v`` and student logits ``z``,
    averaged over the batch. Both are finite floating-point tensors of shape (batch, classes)."""
    T = positive_float("T", T)
    z = _logits("z", z, "student")
    v = _logits("v", v, "teacher")
    _same_shape(z, v)
    return _soft_kl(z, v, T)


def distill_loss(z: torch.Tensor, v: torch.Tensor, y: torch.Tensor, T: float, alpha: float,
                 scale_t2: bool = True) -> torch.Tensor:
    """``alpha · T² · KL(softmax(v/T) || softmax(z/T)) + (1 − alpha) · CE(z, y)``.

    At ``alpha = 0`` it is the cross-entropy on the labels; ``scale_t2=False`` drops the
    ``T²`` that keeps the soft term's gradients of the same size at every temperature. ``z``
    and ``v`` are finite logits of shape (batch, classes), ``y`` integer class indices;
    ``scale_t2`` is ``True`` or ``False``.
    """
    alpha = fraction("alpha", alpha, open_interval=False)
    T = positive_float("T", T)
    scale_t2 = flag("scale_t2", scale_t2)
    z = _logits("z", z, "student")
    v = _logits("v", v, "teacher")
    _same_shape(z, v)
    _labels("y", y, z)
    return _distill_loss(z, v, y, T, alpha, scale_t2)


def distill(student: nn.Module, X: torch.Tensor, y: torch.Tensor, teacher_logits: torch.Tensor,
            *, T: float = 1.0, alpha: float = 0.5, epochs: int = 3, lr: float = 3e-3,
            batch_size: int = 64, seed: int = 0, label: str = "distillation") -> nn.Module:
    """Train ``student`` in place with :func:`distill_loss` and return it in eval mode.

    The training is :func:`dlimits.train.fit` (Adam, shuffled mini-batches) with the
    distillation loss; its training FLOPs go to the notebook's ledger under ``label``, and the
    one evaluation ``fit`` makes at the end, on the transfer set ``X`` itself, under
    ``"evaluation"``.

    ``X`` holds finite floating-point inputs (one example per row), ``y`` their class indices
    and ``teacher_logits`` the teacher's finite logits, shape (examples, classes).
    """
    module("student", student)
    X = tensor("X", X, min_ndim=2) if isinstance(X, torch.Tensor) else _not_tensor("X", X)
    teacher_logits = (_logits("teacher_logits", teacher_logits, "teacher")
                      if isinstance(teacher_logits, torch.Tensor)
                      else _not_tensor("teacher_logits", teacher_logits))
    if not isinstance(y, torch.Tensor):
        _not_tensor("y", y)
    if not (len(X) == len(y) == len(teacher_logits)) or len(X) == 0:
        raise ValueError("X, y and teacher_logits must be non-empty and of the same length.")
    _labels("y", y, teacher_logits, "teacher_logits")
    T = positive_float("T", T)
    alpha = fraction("alpha", alpha, open_interval=False)
    epochs = positive_int("epochs", epochs)
    batch_size = positive_int("batch_size", batch_size)
    lr = positive_float("lr", lr)
    seed = check_seed("seed", seed)
    text("label", label)
    n_classes = teacher_logits.shape[1]
    if n_classes < 2:
        raise ValueError("teacher_logits must hold at least two classes per example.")
    was_training = student.training
    student.eval()  # a look at the output's shape must not move batch-norm statistics
    with torch.no_grad():
        out = student(X[:2])
    student.train(was_training)
    if not isinstance(out, torch.Tensor) or out.shape != teacher_logits[:2].shape:
        raise ValueError(
            f"the student returns {tuple(getattr(out, 'shape', ()))} for a batch whose "
            f"teacher_logits have shape {tuple(teacher_logits[:2].shape)}: its last "
            "layer needs as many outputs as the teacher.")
    soft = teacher_logits.detach()
    transfer = Split(X_train=X.detach().cpu().numpy(), y_train=y.cpu().numpy(),
                     X_test=X.detach().cpu().numpy(), y_test=y.cpu().numpy(),
                     task="classification", n_classes=n_classes, name="transfer set")

    def loss(z, labels, idx):
        return _distill_loss(z, soft[idx.to(soft.device)].to(z.device), labels, T, alpha, True)

    fit(student, transfer, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
        device=X.device, label=label, loss=loss)
    return student.eval()


# ------------------------------------------------------------- efficient architecture (3.6)


def _not_tensor(name: str, value):
    raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; convert it with "
                    "torch.as_tensor(...).")


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
    seed = check_seed("seed", seed)
    memory(f"a CNN of c1={c1:,}, c2={c2:,}, k={k:,}, hidden={hidden:,}",
           k * k * (c1 + c1 * c2) + 9 * c2 * hidden + 14 * 14 * max(c1, c2))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)), nn.AvgPool2d(2),
            nn.Conv2d(1, c1, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * 9, hidden), nn.ReLU(), nn.Linear(hidden, 10))
