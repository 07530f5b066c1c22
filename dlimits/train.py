"""A compact training loop that records loss, error, wall time and counted FLOPs.

The loop is deliberately plain — shuffle, mini-batch, step — so that a chapter can show it in a
few lines when the loop itself is the lesson, and call :func:`fit` when it is not.

FLOPs are counted with :class:`torch.utils.flop_counter.FlopCounterMode` on the first step of
every distinct batch shape and re-used for later steps of the same shape. This is exact for
models whose work depends only on tensor shapes (every model in this course); a model with
data-dependent control flow would need counting on every step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from ._validate import device as check_device
from ._validate import flag, one_of, positive_float, positive_int, text
from ._validate import seed as check_seed
from .data import Split
from .runtime import get_device, record_flops

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


class TrainingDiverged(RuntimeError):
    """The loss became infinite or NaN during :func:`fit` (usually: the learning rate is too high).

    Attributes ``step`` (1-based optimiser step, or the step of the evaluation that found it),
    ``loss`` (the non-finite value) and ``lr`` say where and how.
    """

    def __init__(self, message: str, *, step: int, loss: float, lr: float):
        super().__init__(message)
        self.step = step
        self.loss = loss
        self.lr = lr


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
    learning_rates:
        The learning rate of every optimiser step, in order (constant, or the cosine decay).
    """

    model: nn.Module
    history: pd.DataFrame
    train_flops: int
    seconds: float
    n_params: int
    steps: int
    extra: dict = field(default_factory=dict)
    learning_rates: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

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


def _model_device(model: nn.Module, X) -> torch.device:
    """The device of the model's parameters or buffers; for a model with neither, the data's."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return X.device if isinstance(X, torch.Tensor) else torch.device("cpu")


def _check_output(out, y: torch.Tensor, task: str, n_classes: int | None,
                  labels: str = "Labels") -> None:
    """Say clearly when the model's outputs do not fit the labels (instead of a raw torch error).

    ``labels`` names the labels in the message (``"y"`` for :func:`evaluate`'s argument).
    """
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"The model must return a tensor, got {type(out).__name__}.")
    k = len(y)
    if task == "regression":
        if tuple(out.shape) not in ((k,), (k, 1)):
            raise ValueError(
                "For regression the model must return one number per example, shape "
                f"(batch,) or (batch, 1); on a batch of {k} it returned shape {tuple(out.shape)}."
            )
        return
    if out.ndim != 2 or out.shape[0] != k:
        raise ValueError(
            "For classification the model must return one score per class for each example, "
            f"shape (batch, n_classes); on a batch of {k} it returned shape {tuple(out.shape)}."
        )
    if n_classes is not None and out.shape[1] != n_classes:
        raise ValueError(
            f"The model returns {out.shape[1]} scores per example but the data have "
            f"{n_classes} classes: its last layer needs {n_classes} outputs."
        )
    if k and (int(y.min()) < 0 or int(y.max()) >= out.shape[1]):
        raise ValueError(
            f"{labels} must be class indices 0..{out.shape[1] - 1} for a model with "
            f"{out.shape[1]} outputs; found labels from {int(y.min())} to {int(y.max())}."
        )


def _check_model_fits_data(model: nn.Module, data: Split, X: torch.Tensor, y: torch.Tensor) -> None:
    """One forward pass (eval mode, no gradient, not counted) on two training examples."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(X[:2])
    except Exception as err:  # the model's own error, e.g. a matrix-size mismatch
        raise ValueError(
            f"The model cannot take the inputs of {data.name!r}: they have "
            f"data.n_features = {data.n_features} features (a batch has shape "
            f"{tuple(X[:2].shape)}), and calling the model on them failed with: {err}. "
            "Check the width of its first layer."
        ) from err
    finally:
        model.train(was_training)
    n_out = data.n_classes if data.task == "classification" else None
    _check_output(out, y[:2], data.task, n_out)


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
    The data are moved to the device of the model's parameters (or buffers; for a model with
    neither, such as ``nn.Identity()``, it runs where ``X`` is). ``X`` holds one example per
    row, with finite values; classification labels must be integer class indices below the
    model's number of outputs, regression targets finite.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    one_of("task", task, ("classification", "regression"))
    batch_size = positive_int("batch_size", batch_size)
    record = flag("record", record)
    device = _model_device(model, X)
    X = _as_tensor("X", X, device)
    y = _as_tensor("y", y, device)
    if X.is_floating_point() and not bool(torch.isfinite(X).all()):
        raise ValueError("X contains NaN or infinite values; the error measured on them would "
                         "mean nothing. Impute or drop them first.")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}; they must match.")
    if len(X) == 0:
        raise ValueError("Cannot evaluate on an empty set.")
    if y.ndim != 1:
        raise ValueError(
            f"y must hold one label or target per example (1-D), got shape {tuple(y.shape)}."
        )
    if task == "classification" and (y.is_floating_point() or y.is_complex() or y.dtype == torch.bool):
        raise ValueError(
            f"Classification labels must be integers (class indices); y has dtype {y.dtype}."
        )
    if task == "regression" and y.is_floating_point() and not bool(torch.isfinite(y).all()):
        raise ValueError("y contains NaN or infinite targets.")
    was_training = model.training
    model.eval()
    total_loss, wrong, flops = 0.0, 0.0, 0
    with FlopCounterMode(display=False) as counter:
        for start in range(0, len(X), batch_size):
            xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            try:
                out = model(xb)
            except Exception as err:  # the model's own error, e.g. a matrix-size mismatch
                model.train(was_training)
                raise ValueError(
                    f"The model cannot take X: a batch of shape {tuple(xb.shape)} made it fail "
                    f"with: {err}. Check the number of features against its first layer."
                ) from err
            _check_output(out, yb, task, None, labels="y")
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


def _as_tensor(name: str, value, device) -> torch.Tensor:
    """``torch.as_tensor(value, device=device)``, or an error that names the argument."""
    try:
        return torch.as_tensor(value, device=device)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be an array or tensor of numbers, got "
                        f"{type(value).__name__} ({err}).") from None


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
    loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> TrainResult:
    """Train ``model`` on ``data.X_train`` and evaluate it on ``data.X_test``.

    Give either ``epochs`` (passes over the training set) or ``steps`` (optimiser updates, the
    better choice for learning curves, where small training sets would otherwise get few
    updates). The batch order is fixed by ``seed``.

    Before training, one forward pass on two training examples (in eval mode, without
    gradient, not counted) checks that the model takes ``data.n_features`` inputs and returns
    ``data.n_classes`` scores (classification) or one number (regression) per example; a
    mismatch raises a ``ValueError`` that says which.

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
    loss:
        The training loss, ``loss(outputs, targets, index)`` → a scalar tensor, where ``index``
        holds the positions of the batch's examples in ``data.X_train`` (so that a loss can look
        up what else it knows of each example, such as a teacher's logits in distillation).
        Default: cross-entropy for classification, squared error for regression. The test set
        is always evaluated with the default.

    Returns
    -------
    TrainResult
        The model, a history table, counted training FLOPs and wall time.

    Raises
    ------
    TrainingDiverged
        If the training loss (or the test loss at an evaluation) becomes infinite or NaN;
        the message names the step and suggests a smaller learning rate. The FLOPs spent until
        then are still added to the ledger.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if not isinstance(data, Split):
        raise TypeError("data must be a dlimits.data.Split (see dlimits.data.load).")
    if (epochs is None) == (steps is None):
        raise ValueError("Give exactly one of epochs= or steps=.")
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a function loss(outputs, targets, index), got "
                        f"{type(loss).__name__}.")
    batch_size = positive_int("batch_size", batch_size)
    lr = positive_float("lr", lr)
    weight_decay = positive_float("weight_decay", weight_decay, allow_zero=True)
    seed = check_seed("seed", seed)
    one_of("optimizer", optimizer, OPTIMIZERS)
    one_of("schedule", schedule, SCHEDULES)
    text("label", label)
    if device is not None:
        check_device("device", device)
    steps_per_epoch = -(-data.n_train // batch_size)
    total_steps = (
        positive_int("epochs", epochs) * steps_per_epoch if epochs is not None else positive_int("steps", steps)
    )
    eval_every = total_steps if eval_every is None else positive_int("eval_every", eval_every)

    device = get_device() if device is None else torch.device(device)
    model = model.to(device)
    X, y, X_test, y_test = data.tensors(device)
    _check_model_fits_data(model, data, X, y)
    opt, scheduler = _optimizer(model, optimizer, lr, weight_decay, schedule, total_steps, device)
    run = _Run(model, opt, scheduler, label, optimizer, lr, total_steps,
               loss or (lambda out, yb, idx: _loss(data.task, out, yb)))
    rows = []
    model.train()
    for idx in _batches(data.n_train, batch_size, total_steps, seed, device):
        run.step(X[idx], y[idx], idx)
        if run.steps % eval_every == 0 or run.steps == total_steps:
            rows.append(run.evaluate(X_test, y_test, data.task, steps_per_epoch))
    seconds = time.perf_counter() - run.start
    record_flops(label, run.flops)
    model.eval()
    return TrainResult(
        model=model,
        history=pd.DataFrame(rows),
        train_flops=run.flops,
        seconds=seconds,
        n_params=sum(p.numel() for p in model.parameters()),
        steps=total_steps,
        learning_rates=np.array(run.learning_rates),
    )


def _optimizer(model: nn.Module, name: str, lr: float, weight_decay: float, schedule: str,
               total_steps: int, device: torch.device):
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters.")
    # fused kernels update all parameters in one call: several times less overhead per step
    # for the small models of this course
    fused = {"fused": True} if device.type in ("cpu", "cuda") else {}
    if name == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay, **fused)
    elif name == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **fused)
    else:
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **fused)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
                 if schedule == "cosine" else None)
    return opt, scheduler


def _batches(n: int, batch_size: int, total_steps: int, seed: int, device: torch.device):
    """Indices of ``total_steps`` mini-batches: reshuffled (by ``seed``) at every pass."""
    gen = torch.Generator().manual_seed(seed)
    order, pos = torch.empty(0, dtype=torch.long), 0
    for _ in range(total_steps):
        if pos >= len(order):
            order, pos = torch.randperm(n, generator=gen).to(device), 0
        yield order[pos : pos + batch_size]
        pos += batch_size


class _Run:
    """The state of one training run: optimiser steps, counted FLOPs, losses, learning rates."""

    def __init__(self, model, opt, scheduler, label, optimizer, lr, total_steps, loss):
        self.model, self.opt, self.scheduler, self.loss = model, opt, scheduler, loss
        self.label, self.optimizer, self.lr, self.total_steps = label, optimizer, lr, total_steps
        self.flops_by_shape: dict[int, int] = {}
        self.flops, self.steps, self.losses, self.learning_rates = 0, 0, [], []
        self.start = time.perf_counter()

    def _one_step(self, xb, yb, idx) -> float:
        self.opt.zero_grad(set_to_none=True)
        value = self.loss(self.model(xb), yb, idx)
        if not isinstance(value, torch.Tensor) or value.ndim != 0:
            raise TypeError("loss(outputs, targets, index) must return a scalar tensor, got "
                            f"{type(value).__name__} {tuple(getattr(value, 'shape', ()))}.")
        value.backward()
        self.opt.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return float(value.detach())

    def step(self, xb, yb, idx) -> None:
        self.learning_rates.append(float(self.opt.param_groups[0]["lr"]))
        if len(idx) not in self.flops_by_shape:
            with FlopCounterMode(display=False) as counter:
                self.losses.append(self._one_step(xb, yb, idx))
            self.flops_by_shape[len(idx)] = int(counter.get_total_flops())
        else:
            self.losses.append(self._one_step(xb, yb, idx))
        self.flops += self.flops_by_shape[len(idx)]
        self.steps += 1
        if not math.isfinite(self.losses[-1]):
            raise self.diverged("the training loss", self.losses[-1])

    def evaluate(self, X_test, y_test, task: str, steps_per_epoch: int) -> dict:
        metrics = evaluate(self.model, X_test, y_test, task)
        if not math.isfinite(metrics["loss"]):
            raise self.diverged("the test loss", metrics["loss"])
        row = {"epoch": self.steps / steps_per_epoch, "step": self.steps,
               "train_loss": float(np.mean(self.losses)), "test_loss": metrics["loss"],
               "test_error": metrics["error"], "flops": self.flops,
               "seconds": time.perf_counter() - self.start}
        self.losses = []
        return row

    def diverged(self, where: str, value: float) -> TrainingDiverged:
        record_flops(self.label, self.flops)  # the compute was spent all the same
        return TrainingDiverged(
            f"Training diverged: {where} became {value} at step {self.steps} of "
            f"{self.total_steps} (optimizer={self.optimizer!r}, lr={self.lr:g}). Try a smaller "
            f"learning rate, e.g. lr={self.lr / 10:g}.",
            step=self.steps, loss=value, lr=self.lr,
        )
