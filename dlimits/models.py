"""Small model builders shared by the chapters.

The models are ordinary ``torch.nn`` modules; a chapter that is *about* an architecture
builds it in the notebook instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._validate import memory, one_of, positive_int
from ._validate import seed as check_seed

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def mlp(
    n_inputs: int,
    hidden: Sequence[int],
    n_outputs: int,
    *,
    activation: str = "relu",
    seed: int | None = None,
) -> nn.Sequential:
    """A multilayer perceptron ``n_inputs → hidden[0] → … → n_outputs``.

    Parameters
    ----------
    hidden:
        Widths of the hidden layers; an empty sequence gives a linear model.
    activation:
        ``"relu"``, ``"tanh"`` or ``"gelu"``.
    seed:
        If given (an integer in ``[0, 2**32)``), the weights are initialised from this seed
        (without touching the global random state), so two calls with the same seed give the
        same network.

    Examples
    --------
    >>> net = mlp(64, [32], 10)
    >>> sum(p.numel() for p in net.parameters())
    2410
    """
    n_inputs = positive_int("n_inputs", n_inputs)
    n_outputs = positive_int("n_outputs", n_outputs)
    if isinstance(hidden, int | str) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a sequence of layer widths such as [64, 64], got {hidden!r}.")
    widths = [positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden)]
    one_of("activation", activation, _ACTIVATIONS)
    seed = check_seed("seed", seed, allow_none=True)
    sizes = [n_inputs, *widths, n_outputs]
    memory(f"an MLP of n_inputs={n_inputs:,}, hidden={widths}, n_outputs={n_outputs:,}",
           sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)))
    def build() -> nn.Sequential:
        layers: list[nn.Module] = []
        sizes = [n_inputs, *widths]
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), _ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-1], n_outputs))
        return nn.Sequential(*layers)

    if seed is None:
        return build()
    # initialise from `seed` without disturbing the global random stream
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()
