"""Measuring explanations: do two of them agree, and does one of them match the model?

The chapters on explaining a network compute attributions with the libraries practitioners use
(captum, shap, lime, scikit-learn's ``permutation_importance``). What those libraries do not
provide is the bookkeeping to *judge* the result, which this module holds:

* **Agreement** between two explanations: :func:`rank_agreement` (Spearman's rank correlation)
  and :func:`top_k_overlap` (the share of the ``k`` most important features they have in
  common), and :func:`agreement_matrix` for every pair of a set of explanations.
* **Faithfulness** of an explanation to the model: :func:`deletion_curve` and
  :func:`insertion_curve` replace the features an explanation calls most important by a
  baseline (or restore them, starting from the baseline) and record how the model's score for
  its originally predicted class moves. A faithful explanation makes the score fall fast on
  deletion and rise fast on insertion, faster than a random order of the features
  (``order="random"``), against which every curve should be compared.
* **Fidelity** of a surrogate (a tree distilled from a network, say): :func:`fidelity`, the
  share of examples on which the surrogate predicts what the model predicts.

Conventions
-----------
An *explanation* is either one vector of ``d`` per-feature scores (an importance for the whole
model) or an ``(n, d)`` array of per-example attributions, one row per explained example. Images
are flattened to ``d`` pixels. NumPy arrays, lists, pandas objects and torch tensors (detached
and copied to the CPU) are accepted; inputs are never modified. Agreement functions compare magnitudes by default (a feature with
a large negative attribution matters as much as one with a large positive attribution); set
``absolute=False`` to compare signed values.

Examples
--------
>>> import numpy as np
>>> a = np.array([0.5, 0.3, 0.1, 0.0])
>>> b = np.array([0.4, -0.35, 0.0, 0.05])
>>> round(rank_agreement(a, b), 2), top_k_overlap(a, b, 2)
(0.8, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ._validate import flag, one_of, positive_int
from ._validate import seed as check_seed

__all__ = [
    "Curve",
    "agreement_matrix",
    "deletion_curve",
    "fidelity",
    "insertion_curve",
    "rank_agreement",
    "top_k_overlap",
]


# --------------------------------------------------------------------------- validation


def _as_explanation(name: str, value, *, allow_nan: bool = False) -> np.ndarray:
    """Return ``value`` as a float array of shape ``(d,)`` or ``(n, d)``; raise otherwise."""
    if hasattr(value, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        value = value.detach().cpu().numpy()
    try:
        arr = np.array(value, dtype=float)  # a copy: callers' arrays are never changed
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of numbers (one score per feature), "
            f"got {type(value).__name__}."
        ) from None
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one score per feature) or 2-D (one row per example), "
            f"got shape {arr.shape}. Flatten images to one row of pixels per example."
        )
    if arr.size == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}).")
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return arr


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a = _as_explanation("a", a)
    b = _as_explanation("b", b)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a.shape} and {b.shape}. Compare one "
            "importance vector with another, or per-example attributions of the same examples."
        )
    return a, b


def _check_bool(name: str, value) -> bool:
    return flag(name, value)


# --------------------------------------------------------------------------- agreement


def _row_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (2-D inputs)."""
    ra = rankdata(a, axis=1)
    rb = rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    num = np.sum(ra * rb, axis=1)
    den = np.sqrt(np.sum(ra**2, axis=1) * np.sum(rb**2, axis=1))
    # a row whose scores are all tied ranks nothing: it agrees with no ordering (0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(rho, -1.0, 1.0)


def rank_agreement(a, b, *, absolute: bool = True) -> float:
    """Spearman's rank correlation between two explanations of the same features.

    Parameters
    ----------
    a, b:
        Two explanations of the same shape: importance vectors of ``d`` features, or ``(n, d)``
        per-example attributions of the same ``n`` examples. For 2-D inputs the correlation is
        computed row by row (example by example) and averaged.
    absolute:
        Rank the magnitudes ``|a|`` and ``|b|`` (default): two methods that both find a feature
        important, one with a positive and one with a negative sign, agree. ``False`` ranks the
        signed values.

    Returns
    -------
    float
        Between -1 and 1: 1 for the same ordering, about 0 for unrelated orderings. Ties get
        their average rank. A row whose scores are all equal (for example all zero) ranks no
        feature above another and counts as 0.

    Examples
    --------
    >>> rank_agreement([3, 2, 1], [30, 20, 10])
    1.0
    >>> rank_agreement([3, 2, 1], [-1, 2, -3])
    -1.0
    >>> rank_agreement([3, 2, 1], [-1, 2, -3], absolute=False)
    0.5
    >>> rank_agreement([[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [3, 2, 1]])
    0.0
    """
    a, b = _pair(a, b)
    if a.shape[-1] < 2:
        raise ValueError("A rank correlation needs at least two features.")
    if _check_bool("absolute", absolute):
        a, b = np.abs(a), np.abs(b)
    rho = _row_spearman(np.atleast_2d(a), np.atleast_2d(b))
    return float(np.mean(rho))


def _top_k_sets(x: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` largest entries of each row (ties: the lower index first)."""
    order = np.argsort(-x, axis=1, kind="stable")[:, :k]
    mask = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def top_k_overlap(a, b, k: int, *, absolute: bool = True) -> float:
    """Share of the ``k`` most important features two explanations have in common.

    ``|top_k(a) ∩ top_k(b)| / k``, with features ranked by magnitude (``absolute=True``, the
    default) or by signed value. For ``(n, d)`` per-example attributions the share is computed
    for each example and averaged. Ties are broken in favour of the feature with the lower index.

    Parameters
    ----------
    a, b:
        Two explanations of the same shape (see :func:`rank_agreement`).
    k:
        How many top features to compare, ``1 <= k <= d``. With ``k = d`` the overlap is always 1.

    Returns
    -------
    float
        Between 0 and 1. Two random orderings of ``d`` features overlap by ``k / d`` on average.

    Raises
    ------
    ValueError
        If a row of ``a`` or ``b`` has all its scores equal (e.g. an all-zero explanation): it
        ranks no feature above another, so it has no top ``k`` to compare.

    Examples
    --------
    >>> top_k_overlap([0.9, 0.5, 0.1, 0.0], [0.0, -0.8, 0.7, 0.1], k=2)
    0.5
    >>> top_k_overlap([[1, 2, 3], [3, 2, 1]], [[1, 2, 3], [1, 2, 3]], k=1)
    0.5
    """
    a, b = _pair(a, b)
    d = a.shape[-1]
    k = positive_int("k", k)
    if k > d:
        raise ValueError(f"k={k} is larger than the number of features ({d}).")
    if _check_bool("absolute", absolute):
        a, b = np.abs(a), np.abs(b)
    for name, x in (("a", a), ("b", b)):
        rows = np.atleast_2d(x)
        tied = np.flatnonzero(np.all(rows == rows[:, :1], axis=1))
        if tied.size:
            where = "" if x.ndim == 1 else f" (row {tied[0]})"
            raise ValueError(
                f"{name}{where} has all its scores equal ({rows[tied[0], 0]:g}): it ranks no "
                "feature above another, so it has no top k to compare. An all-zero explanation "
                "explains nothing; check how it was computed.")
    both = _top_k_sets(np.atleast_2d(a), k) & _top_k_sets(np.atleast_2d(b), k)
    return float(np.mean(both.sum(axis=1) / k))


def agreement_matrix(
    explanations: Mapping[str, object],
    *,
    metric: str = "spearman",
    k: int | None = None,
    absolute: bool = True,
) -> pd.DataFrame:
    """Agreement between every pair of a set of named explanations, as a table.

    Parameters
    ----------
    explanations:
        ``{"name": explanation}``, at least two, all of the same shape (importance vectors or
        per-example attributions of the same examples).
    metric:
        ``"spearman"`` (:func:`rank_agreement`) or ``"top_k"`` (:func:`top_k_overlap`, which
        needs ``k``).
    k:
        The number of top features for ``metric="top_k"``.
    absolute:
        Compare magnitudes (default) or signed values.

    Returns
    -------
    pandas.DataFrame
        Symmetric, indexed and labelled by the names in the order given, with 1 on the diagonal.

    Examples
    --------
    >>> table = agreement_matrix({"a": [3, 2, 1], "b": [30, 20, 10], "c": [1, 2, 3]})
    >>> table.loc["a", "b"], table.loc["a", "c"]
    (np.float64(1.0), np.float64(-1.0))
    >>> agreement_matrix({"a": [3, 2, 1], "c": [1, 2, 3]}, metric="top_k", k=1)
         a    c
    a  1.0  0.0
    c  0.0  1.0
    """
    if not isinstance(explanations, Mapping):
        raise TypeError(
            "explanations must be a mapping such as {'saliency': attr1, 'shap': attr2}, "
            f"got {type(explanations).__name__}."
        )
    if len(explanations) < 2:
        raise ValueError(f"Give at least two explanations to compare, got {len(explanations)}.")
    one_of("metric", metric, ("spearman", "top_k"))
    if metric == "top_k" and k is None:
        raise ValueError("metric='top_k' needs k, the number of top features to compare.")
    if metric == "spearman" and k is not None:
        raise ValueError("k is only used with metric='top_k'.")
    names = [str(name) for name in explanations]
    if len(set(names)) != len(names):
        raise ValueError(f"The names in explanations must be distinct, got {names}.")
    values = [_as_explanation(f"explanations[{n!r}]", v) for n, v in zip(names, explanations.values(),
                                                                         strict=True)]
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        detail = ", ".join(f"{n}: {v.shape}" for n, v in zip(names, values, strict=True))
        raise ValueError(f"All explanations must have the same shape, got {detail}.")
    table = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if metric == "spearman":
                value = rank_agreement(values[i], values[j], absolute=absolute)
            else:
                value = top_k_overlap(values[i], values[j], k, absolute=absolute)
            table.iloc[i, j] = table.iloc[j, i] = value
    return table


# --------------------------------------------------------------------------- faithfulness


@dataclass(frozen=True)
class Curve:
    """A deletion or insertion curve (what :func:`deletion_curve` and :func:`insertion_curve`
    return).

    Attributes
    ----------
    kind:
        ``"deletion"`` or ``"insertion"``.
    order:
        ``"attribution"`` (most important features first) or ``"random"``.
    fractions:
        Share of the features removed (deletion) or restored (insertion) at each step, from 0
        to 1, shape ``(steps + 1,)``.
    scores:
        The model's mean score for each example's target class at each step, shape
        ``(steps + 1,)``.
    per_example:
        The same scores for every example, shape ``(n, steps + 1)`` (for intervals).
    target:
        The class whose score was followed for each example, shape ``(n,)``.
    """

    kind: str
    order: str
    fractions: np.ndarray
    scores: np.ndarray
    per_example: np.ndarray
    target: np.ndarray

    @property
    def auc(self) -> float:
        """Area under the mean curve (trapezoidal rule over the fraction axis, from 0 to 1).

        For deletion, lower is better (the score collapses as soon as the important features
        go); for insertion, higher is better.
        """
        return float(np.trapezoid(self.scores, self.fractions))

    def frame(self) -> pd.DataFrame:
        """The mean curve as a table with columns ``fraction`` and ``score``."""
        return pd.DataFrame({"fraction": self.fractions, "score": self.scores})


def _curve(kind, predict_fn, X, attributions, baseline, steps, target, order, absolute, seed):
    if not callable(predict_fn):
        raise TypeError(
            "predict_fn must be a function from an (n, d) array to (n, n_classes) scores, "
            f"such as a model's predict_proba; got {type(predict_fn).__name__}."
        )
    X = _as_explanation("X", X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (examples × features), got shape {X.shape}.")
    n, d = X.shape
    one_of("order", order, ("attribution", "random"))
    absolute = _check_bool("absolute", absolute)
    check_seed("seed", seed)
    steps = d if steps is None else positive_int("steps", steps)
    if steps > d:
        raise ValueError(f"steps={steps} is more than the number of features ({d}).")
    if baseline is None or isinstance(baseline, str | bool):
        raise TypeError(f"baseline must be a number or an array of numbers, got {baseline!r}.")
    try:
        base = np.asarray(baseline, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"baseline must be a number or an array of numbers, got "
                        f"{type(baseline).__name__}.") from None
    if base.shape not in ((), (d,), (n, d)):
        raise ValueError(
            f"baseline must be a number, one value per feature ({d},) or one row per example "
            f"({n}, {d}), got shape {base.shape}."
        )
    if not np.all(np.isfinite(base)):
        raise ValueError("baseline contains NaN or infinite values.")
    base = np.broadcast_to(base, (n, d))

    if order == "attribution":
        if attributions is None:
            raise ValueError("order='attribution' needs attributions.")
        attr = _as_explanation("attributions", attributions)
        if attr.shape not in ((d,), (n, d)):
            raise ValueError(
                f"attributions must have shape ({d},) or ({n}, {d}) to match X, "
                f"got {attr.shape}."
            )
        attr = np.broadcast_to(np.abs(attr) if absolute else attr, (n, d))
        ranking = np.argsort(-attr, axis=1, kind="stable")
    else:
        rng = np.random.default_rng(int(seed))
        ranking = np.argsort(rng.random((n, d)), axis=1)

    def scores_of(batch: np.ndarray) -> np.ndarray:
        try:
            raw = predict_fn(batch)
        except Exception as err:  # the caller's function failed: say where
            raise ValueError(f"predict_fn failed on an ({n}, {d}) array of examples: "
                             f"{type(err).__name__}: {err}") from err
        try:
            out = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"predict_fn must return an array of numbers, got "
                            f"{type(raw).__name__}.") from None
        if out.ndim != 2 or out.shape[0] != n:
            raise ValueError(
                f"predict_fn must return an array of shape (n, n_classes) = ({n}, ...), "
                f"got {out.shape}."
            )
        if not np.all(np.isfinite(out)):
            raise ValueError("predict_fn returned NaN or infinite scores; the curve would "
                             "mean nothing.")
        return out

    first = scores_of(X.copy())
    if target is None:
        target = first.argmax(axis=1)
    else:
        target = np.asarray(target)
        if target.shape != (n,) or not np.issubdtype(target.dtype, np.integer):
            raise ValueError(f"target must be {n} integer class indices, got {target!r}.")
        if target.min() < 0 or target.max() >= first.shape[1]:
            raise ValueError(f"target holds a class outside 0..{first.shape[1] - 1}.")

    counts = np.round(np.linspace(0, d, steps + 1)).astype(int)
    rows = np.arange(n)[:, None]
    per_example = np.empty((n, steps + 1))
    for s, m in enumerate(counts):
        chosen = np.zeros((n, d), dtype=bool)
        chosen[rows, ranking[:, :m]] = True
        if kind == "deletion":  # the chosen features are replaced by the baseline
            batch = np.where(chosen, base, X)
        else:  # start from the baseline and restore the chosen features
            batch = np.where(chosen, X, base)
        out = first if (kind == "deletion" and m == 0) else scores_of(batch)
        per_example[:, s] = out[np.arange(n), target]
    return Curve(kind, order, counts / d, per_example.mean(axis=0), per_example, target)


def deletion_curve(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X,
    attributions=None,
    *,
    baseline=0.0,
    steps: int | None = None,
    target=None,
    order: str = "attribution",
    absolute: bool = False,
    seed: int = 0,
) -> Curve:
    """Remove the most important features first and follow the model's score.

    For every example, features are ranked by its attribution (highest first) and replaced by
    the ``baseline``, a growing share at a time; after each step the model scores the modified
    examples and the score of the class it originally predicted is recorded. If the explanation
    is faithful, the score falls fast and the area under the curve (:attr:`Curve.auc`) is small.
    Always compare with ``order="random"``, which removes the features in a random order.

    Parameters
    ----------
    predict_fn:
        A function from an ``(n, d)`` float array to ``(n, n_classes)`` scores: a classifier's
        ``predict_proba``, or a network's softmax wrapped to take and return NumPy arrays.
    X:
        The ``(n, d)`` examples to explain (images flattened to pixels).
    attributions:
        ``(n, d)`` per-example attributions, or one ``(d,)`` importance vector used for every
        example. Not needed with ``order="random"``.
    baseline:
        What a removed feature becomes: a number (0, the training mean of standardised
        features), ``(d,)`` values per feature, or ``(n, d)`` values per example.
    steps:
        Number of steps between "nothing removed" and "everything removed"; the default removes
        one feature per step. Step ``s`` removes ``round(s · d / steps)`` features.
    target:
        The class to follow for each example; by default the model's prediction on ``X``.
    order:
        ``"attribution"`` or ``"random"`` (an independent random order per example, from
        ``seed``).
    absolute:
        Rank features by ``|attribution|`` instead of the signed value. Signed (the default)
        removes first the features that speak most *for* the target class, which is what the
        curve tests when the attributions are computed for that class.
    seed:
        Seed of the random order.

    Returns
    -------
    Curve
        ``fractions``, mean ``scores``, ``per_example`` scores, ``target`` and ``auc``.

    Examples
    --------
    A model whose score for class 1 is the sigmoid of ``2·x0 + x1``; removing ``x0`` first
    (the faithful order) brings the score down faster than removing ``x1`` first:

    >>> import numpy as np
    >>> def predict(X):
    ...     p = 1 / (1 + np.exp(-(2 * X[:, 0] + X[:, 1])))
    ...     return np.column_stack([1 - p, p])
    >>> X = np.array([[1.0, 1.0], [2.0, 1.0]])
    >>> good = deletion_curve(predict, X, [2.0, 1.0])
    >>> bad = deletion_curve(predict, X, [1.0, 2.0])
    >>> good.fractions.tolist(), bool(good.auc < bad.auc)
    ([0.0, 0.5, 1.0], True)
    >>> round(float(good.scores[-1]), 2)  # everything removed: the model's score at the baseline
    0.5
    """
    return _curve("deletion", predict_fn, X, attributions, baseline, steps, target, order,
                  absolute, seed)


def insertion_curve(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X,
    attributions=None,
    *,
    baseline=0.0,
    steps: int | None = None,
    target=None,
    order: str = "attribution",
    absolute: bool = False,
    seed: int = 0,
) -> Curve:
    """Start from the baseline, restore the most important features first, follow the score.

    The mirror image of :func:`deletion_curve` (same parameters): every example starts with all
    its features at the ``baseline``; features are restored to their values in ``X`` in the
    order of the attributions. If the explanation is faithful, the score of the originally
    predicted class rises fast and the area under the curve (:attr:`Curve.auc`) is large.
    Compare with ``order="random"``.

    Examples
    --------
    >>> import numpy as np
    >>> def predict(X):
    ...     p = 1 / (1 + np.exp(-(2 * X[:, 0] + X[:, 1])))
    ...     return np.column_stack([1 - p, p])
    >>> X = np.array([[1.0, 1.0], [2.0, 1.0]])
    >>> good = insertion_curve(predict, X, [2.0, 1.0])
    >>> bad = insertion_curve(predict, X, [1.0, 2.0])
    >>> bool(good.auc > bad.auc), round(float(good.scores[0]), 2)
    (True, 0.5)
    """
    return _curve("insertion", predict_fn, X, attributions, baseline, steps, target, order,
                  absolute, seed)


# --------------------------------------------------------------------------- fidelity


def _labels(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 2:  # scores or probabilities: the predicted class is the arg-max
        if arr.shape[1] < 2:
            raise ValueError(f"{name} has one column; give labels or (n, n_classes) scores.")
        if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds scores that are not finite numbers (NaN, an "
                             "infinity or text), so a row has no arg-max to compare.")
        arr = arr.argmax(axis=1)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D predicted labels or 2-D (n, n_classes) scores, "
            f"got shape {arr.shape}."
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(
                f"{name} holds non-integer values; fidelity compares predicted class labels. "
                "For a regression surrogate, compare with an R² or a mean squared error instead."
            )
    return arr


def fidelity(model_pred, surrogate_pred) -> float:
    """Share of examples on which a surrogate predicts the same class as the model it explains.

    Parameters
    ----------
    model_pred, surrogate_pred:
        Predicted class labels of the same examples, shape ``(n,)`` (integers or strings), or
        ``(n, n_classes)`` scores, in which case the arg-max of each row is the prediction.
        Compute both on held-out examples: fidelity on the examples a surrogate was fitted to
        flatters it, as training accuracy flatters a model.

    Returns
    -------
    float
        Between 0 and 1 (1: the surrogate reproduces every prediction of the model).

    Examples
    --------
    >>> fidelity([0, 1, 1, 2], [0, 1, 2, 2])
    0.75
    >>> fidelity([[0.9, 0.1], [0.2, 0.8]], [0, 0])
    0.5
    """
    a = _labels("model_pred", model_pred)
    b = _labels("surrogate_pred", surrogate_pred)
    if a.shape != b.shape:
        raise ValueError(
            f"model_pred and surrogate_pred must describe the same examples, got {a.shape[0]} "
            f"and {b.shape[0]} predictions."
        )
    return float(np.mean(a == b))
