"""The shared baselines of Part III: two small, well-trained models on MNIST-5k.

Every efficiency chapter (pruning, quantization, low-rank compression, distillation, efficient
architectures) starts from the same two models, so that their results can be compared from
chapter to chapter and put on one chart in the synthesis:

* ``"mlp"`` — a multilayer perceptron 784 → 256 → 128 → 10 (235,146 parameters);
* ``"cnn"`` — a small convolutional network: two 3×3 convolutions (16 and 32 channels, each
  followed by ReLU and 2×2 max-pooling), then 1,568 → 64 → 10 (105,866 parameters).

Both read the flat 784-pixel rows of :func:`dlimits.data.load` ``("mnist5k")`` (the CNN reshapes
them itself), so :func:`dlimits.train.fit` and :func:`dlimits.train.evaluate` work on both. They
are trained from a fixed seed with Adam and a cosine schedule in a few seconds on one CPU thread;
:func:`baseline` trains each once per Python process and hands out copies, so a chapter may prune
or quantize its copy in place without touching anyone else's.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ._validate import memory, one_of, positive_int
from ._validate import seed as check_seed
from .data import Split, load
from .models import mlp

NAMES = ("mlp", "cnn")
#: training recipe of each baseline: epochs over the 3,750 training images
RECIPES = {"mlp": {"epochs": 20}, "cnn": {"epochs": 8}}


def cnn(seed: int | None = 0, *, channels: tuple[int, int] = (16, 32), hidden: int = 64) -> nn.Sequential:
    """The baseline CNN for 28×28 images given as flat rows of 784 pixels.

    ``channels`` (two channel counts) and ``hidden`` set the widths (the baseline uses the
    defaults); ``seed`` (an integer in ``[0, 2**32)``, or ``None`` for the global stream)
    initialises the weights without disturbing the global random stream.

    Examples
    --------
    >>> net = cnn()
    >>> net(torch.zeros(2, 784)).shape
    torch.Size([2, 10])
    """
    seed = check_seed("seed", seed, allow_none=True)
    if isinstance(channels, str) or not isinstance(channels, Sequence) or len(channels) != 2:
        raise TypeError(f"channels must be two channel counts such as (16, 32), got {channels!r}.")
    c1, c2 = (positive_int("channels[0]", channels[0]), positive_int("channels[1]", channels[1]))
    hidden = positive_int("hidden", hidden)
    memory(f"a CNN of channels=({c1:,}, {c2:,}) and hidden={hidden:,}",
           9 * (c1 + c1 * c2) + c2 * 49 * hidden + 10 * hidden + 28 * 28 * max(c1, c2))

    def build() -> nn.Sequential:
        return nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)),
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, 10),
        )

    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def untrained(name: str, seed: int = 0) -> nn.Module:
    """A freshly initialised copy of baseline ``name`` (``"mlp"`` or ``"cnn"``)."""
    one_of("baseline name", name, NAMES)
    seed = check_seed("seed", seed)
    if name == "mlp":
        return mlp(784, [256, 128], 10, seed=seed)
    return cnn(seed)


@dataclass
class Baseline:
    """A trained baseline: the model, its data, and what it cost.

    Attributes
    ----------
    model:
        The trained model, in evaluation mode on the CPU (a private copy).
    data:
        The MNIST-5k split it was trained and tested on (``dlimits.data.load("mnist5k")``).
    test_error:
        Misclassification rate on the 1,250 test images.
    train_flops:
        Counted FLOPs of training.
    n_params:
        Number of parameters.
    """

    name: str
    model: nn.Module
    data: Split
    test_error: float
    train_flops: int
    n_params: int
    recipe: dict = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return 1.0 - self.test_error


@functools.cache
def _trained(name: str, seed: int) -> Baseline:
    from .train import fit

    split = load("mnist5k")
    recipe = dict(RECIPES[name], lr=1e-3, weight_decay=1e-4, batch_size=64, schedule="cosine")
    result = fit(untrained(name, seed), split, seed=seed, device="cpu", label=f"baseline {name}",
                 **recipe)
    model = result.model.eval()
    return Baseline(name, model, split, result.test_error, result.train_flops, result.n_params,
                    recipe)


def baseline(name: str, *, seed: int = 0) -> Baseline:
    """Return a trained copy of the baseline ``name`` (``"mlp"`` or ``"cnn"``).

    The first call in a Python process trains the model (a few seconds; its FLOPs go to the
    notebook's cost ledger); later calls return fresh copies of the same trained weights.
    """
    one_of("baseline name", name, NAMES)
    seed = check_seed("seed", seed)
    trained = _trained(name, seed)
    return Baseline(trained.name, copy.deepcopy(trained.model), trained.data, trained.test_error,
                    trained.train_flops, trained.n_params, dict(trained.recipe))
