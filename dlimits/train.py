"""A compact training loop that records loss, error, wall time and counted FLOPs.

The loop is deliberately plain — shuffle, mini-batch, step — so that a chapter can show it in a
few lines when the loop itself is the lesson, and call :func:`fit` when it is not.

FLOPs are counted with :class:`torch.utils.flop_counter.FlopCounterMode` on the first step of
every distinct batch shape and re-used for later steps of the same shape. This is exact for
models whose work depends only on tensor shapes (every model in this course); a model with
data-dependent control flow would need counting on every step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from ._validate import one_of, positive_float, positive_int
from .data import Split
from .runtime import get_device, record_flops

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model:
        The trained model (on the device it was trained on).
    history:
        One row per evaluation: ``epoch``, ``step``, ``train_loss``, ``test_loss``, ``test_error``
        (misclassification rate, or mean squared error for regression), ``flops`` (training
        FLOPs so far) and ``seconds`` (wall time so far).
    train_flops:
        Counted FLOPs of all training steps (forward and backward).
    seconds:
        Wall-clock training time.
    """

    model: nn.Module
    history: pd.DataFrame
    train_flops: int
    seconds: float
    n_params: int
    steps: int
    extra: dict = field(default_factory=dict)

    @property
    def final(self) -> pd.Series:
        """The last row of the history (the metrics of the trained model)."""
        return self.history.iloc[-1]

    @property
    def test_error(self) -> float:
        return float(self.final["test_error"])

    @property
    def test_loss(self) -> float:
        return float(self.final["test_loss"])


def _loss(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if task == "classification":
        return F.cross_entropy(out, y)
    return F.mse_loss(out.reshape(y.shape), y)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    X: torch.Tensor | np.ndarray,
    y: torch.Tensor | np.ndarray,
    task: str = "classification",
    *,
    batch_size: int = 4096,
    record: bool = True,
) -> dict[str, float]:
    """Evaluate ``model`` on ``(X, y)``.

    Returns ``{"loss", "error", "flops"}``: the mean loss (cross-entropy or squared error), the
    error (misclassification rate for classification, mean squared error for regression) and the
    counted FLOPs of the forward passes. ``record`` adds the FLOPs to the notebook's ledger.
    """
    one_of("task", task, ("classification", "regression"))
    batch_size = positive_int("batch_size", batch_size)
    device = next(model.parameters()).device
    X = torch.as_tensor(X, device=device)
    y = torch.as_tensor(y, device=device)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}; they must match.")
    if len(X) == 0:
        raise ValueError("Cannot evaluate on an empty set.")
    was_training = model.training
    model.eval()
    total_loss, wrong, flops = 0.0, 0.0, 0
    with FlopCounterMode(display=False) as counter:
        for start in range(0, len(X), batch_size):
            xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            out = model(xb)
            if task == "classification":
                total_loss += float(F.cross_entropy(out, yb, reduction="sum"))
                wrong += float((out.argmax(dim=1) != yb).sum())
            else:
                total_loss += float(F.mse_loss(out.reshape(yb.shape), yb, reduction="sum"))
    flops = int(counter.get_total_flops())
    model.train(was_training)
    if record:
        record_flops("evaluation", flops)
    n = len(X)
    loss = total_loss / n
    return {"loss": loss, "error": wrong / n if task == "classification" else loss, "flops": flops}


def fit(
    model: nn.Module,
    data: Split,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: str = "adam",
    schedule: str = "constant",
    seed: int = 0,
    device: torch.device | str | None = None,
    eval_every: int | None = None,
    label: str = "training",
) -> TrainResult:
    """Train ``model`` on ``data.X_train`` and evaluate it on ``data.X_test``.

    Give either ``epochs`` (passes over the training set) or ``steps`` (optimiser updates, the
    better choice for learning curves, where small training sets would otherwise get few
    updates). The batch order is fixed by ``seed``.

    Parameters
    ----------
    optimizer:
        ``"adam"``, ``"adamw"`` or ``"sgd"`` (with momentum 0.9).
    schedule:
        ``"constant"`` learning rate, or ``"cosine"`` decay from ``lr`` to 0 over the run (lets a
        model settle into a minimum instead of bouncing around it at the final learning rate).
    eval_every:
        Evaluate on the test set every this many steps (default: once, at the end). Evaluation
        FLOPs are recorded in the ledger under ``"evaluation"``, not in ``train_flops``.
    label:
        Name under which the training FLOPs are added to the notebook's cost ledger.

    Returns
    -------
    TrainResult
        The model, a history table, counted training FLOPs and wall time.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if not isinstance(data, Split):
        raise TypeError("data must be a dlimits.data.Split (see dlimits.data.load).")
    if (epochs is None) == (steps is None):
        raise ValueError("Give exactly one of epochs= or steps=.")
    batch_size = positive_int("batch_size", batch_size)
    lr = positive_float("lr", lr)
    weight_decay = positive_float("weight_decay", weight_decay, allow_zero=True)
    one_of("optimizer", optimizer, OPTIMIZERS)
    one_of("schedule", schedule, SCHEDULES)
    n = data.n_train
    steps_per_epoch = -(-n // batch_size)
    total_steps = (
        positive_int("epochs", epochs) * steps_per_epoch if epochs is not None else positive_int("steps", steps)
    )
    eval_every = total_steps if eval_every is None else positive_int("eval_every", eval_every)

    device = get_device() if device is None else torch.device(device)
    model = model.to(device)
    X, y, X_test, y_test = data.tensors(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters.")
    # fused kernels update all parameters in one call: several times less overhead per step
    # for the small models of this course
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay, **fused)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **fused)
    else:
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **fused)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
        if schedule == "cosine"
        else None
    )

    gen = torch.Generator().manual_seed(seed)
    flops_by_shape: dict[int, int] = {}
    flops_total, step, losses = 0, 0, []
    rows = []
    model.train()
    start = time.perf_counter()
    order = torch.empty(0, dtype=torch.long)
    pos = 0
    while step < total_steps:
        if pos >= len(order):
            order, pos = torch.randperm(n, generator=gen).to(device), 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        xb, yb = X[idx], y[idx]

        def one_step(xb: torch.Tensor, yb: torch.Tensor) -> float:
            opt.zero_grad(set_to_none=True)
            loss = _loss(data.task, model(xb), yb)
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            return float(loss.detach())

        if len(idx) not in flops_by_shape:
            with FlopCounterMode(display=False) as counter:
                losses.append(one_step(xb, yb))
            flops_by_shape[len(idx)] = int(counter.get_total_flops())
        else:
            losses.append(one_step(xb, yb))
        flops_total += flops_by_shape[len(idx)]
        step += 1
        if step % eval_every == 0 or step == total_steps:
            metrics = evaluate(model, X_test, y_test, data.task)
            rows.append(
                {
                    "epoch": step / steps_per_epoch,
                    "step": step,
                    "train_loss": float(np.mean(losses)),
                    "test_loss": metrics["loss"],
                    "test_error": metrics["error"],
                    "flops": flops_total,
                    "seconds": time.perf_counter() - start,
                }
            )
            losses = []
    seconds = time.perf_counter() - start
    record_flops(label, flops_total)
    model.eval()
    return TrainResult(
        model=model,
        history=pd.DataFrame(rows),
        train_flops=flops_total,
        seconds=seconds,
        n_params=sum(p.numel() for p in model.parameters()),
        steps=total_steps,
    )
