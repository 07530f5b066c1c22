import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from dlimits import explain

# ----------------------------------------------------------------------------- agreement


def test_rank_agreement_matches_scipy_on_random_vectors():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.normal(size=12), rng.normal(size=12)
        expected = spearmanr(np.abs(a), np.abs(b)).statistic
        assert explain.rank_agreement(a, b) == pytest.approx(expected)
        signed = spearmanr(a, b).statistic
        assert explain.rank_agreement(a, b, absolute=False) == pytest.approx(signed)


def test_rank_agreement_handles_ties_like_scipy():
    a, b = [1, 1, 2, 3, 3], [5, 4, 4, 1, 0]
    expected = spearmanr(a, b).statistic
    assert explain.rank_agreement(a, b) == pytest.approx(expected)


def test_rank_agreement_averages_rows_of_per_example_attributions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 9)), rng.normal(size=(6, 9))
    rows = [spearmanr(np.abs(x), np.abs(y)).statistic for x, y in zip(a, b, strict=True)]
    assert explain.rank_agreement(a, b) == pytest.approx(np.mean(rows))


def test_rank_agreement_counts_an_all_tied_row_as_zero():
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    b = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    assert explain.rank_agreement(a, b) == pytest.approx(0.5)


def test_rank_agreement_is_invariant_to_monotone_rescaling_and_symmetric():
    rng = np.random.default_rng(2)
    a, b = rng.random(10), rng.random(10)
    assert explain.rank_agreement(a, b) == pytest.approx(explain.rank_agreement(b, a))
    assert explain.rank_agreement(a, np.exp(3 * a)) == pytest.approx(1.0)


def test_top_k_overlap_counts_shared_features():
    a = [5, 4, 3, 2, 1, 0]
    b = [0, 4, 5, 1, 3, 2]  # top-3 of b: features 2, 1, 4; of a: 0, 1, 2
    assert explain.top_k_overlap(a, b, 3) == pytest.approx(2 / 3)
    assert explain.top_k_overlap(a, b, 1) == 0.0
    assert explain.top_k_overlap(a, b, 6) == 1.0


def test_top_k_overlap_uses_magnitudes_unless_told_otherwise():
    a, b = [3, 2, 1], [-3, 2, 1]
    assert explain.top_k_overlap(a, b, 1) == 1.0
    assert explain.top_k_overlap(a, b, 1, absolute=False) == 0.0


def test_top_k_overlap_of_random_orderings_is_about_k_over_d():
    rng = np.random.default_rng(3)
    a, b = rng.random((2000, 20)), rng.random((2000, 20))
    assert explain.top_k_overlap(a, b, 5) == pytest.approx(5 / 20, abs=0.02)


def test_agreement_matrix_is_symmetric_with_unit_diagonal():
    rng = np.random.default_rng(4)
    vectors = {name: rng.normal(size=8) for name in ("a", "b", "c")}
    table = explain.agreement_matrix(vectors)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == list(table.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(table.to_numpy(), table.to_numpy().T)
    np.testing.assert_allclose(np.diag(table), 1.0)
    assert table.loc["a", "c"] == pytest.approx(
        explain.rank_agreement(vectors["a"], vectors["c"]))
    top = explain.agreement_matrix(vectors, metric="top_k", k=3)
    assert top.loc["b", "c"] == pytest.approx(
        explain.top_k_overlap(vectors["b"], vectors["c"], 3))


def test_torch_tensors_are_accepted():
    import torch

    a = torch.tensor([[3.0, 2.0, 1.0]], requires_grad=True)
    b = torch.tensor([[30.0, 20.0, 10.0]])
    assert explain.rank_agreement(a, b) == pytest.approx(1.0)
    assert explain.top_k_overlap(a, b, 1) == 1.0


def test_agreement_functions_reject_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        explain.rank_agreement([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        explain.rank_agreement([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="1-D .* or 2-D"):
        explain.rank_agreement(np.ones((2, 2, 2)), np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="at least two features"):
        explain.rank_agreement([1.0], [2.0])
    with pytest.raises(TypeError, match="array of numbers"):
        explain.rank_agreement(["a", "b"], [1, 2])
    with pytest.raises(TypeError, match="True or False"):
        explain.rank_agreement([1, 2], [1, 2], absolute="yes")
    with pytest.raises(ValueError, match="larger than the number of features"):
        explain.top_k_overlap([1, 2, 3], [1, 2, 3], k=4)
    with pytest.raises(ValueError, match="k must be >= 1"):
        explain.top_k_overlap([1, 2, 3], [1, 2, 3], k=0)
    with pytest.raises(ValueError, match="at least two"):
        explain.agreement_matrix({"a": [1, 2]})
    with pytest.raises(ValueError, match="needs k"):
        explain.agreement_matrix({"a": [1, 2], "b": [2, 1]}, metric="top_k")
    with pytest.raises(ValueError, match="Unknown metric"):
        explain.agreement_matrix({"a": [1, 2], "b": [2, 1]}, metric="kendall")
    with pytest.raises(ValueError, match="same shape.*a: \\(2,\\)"):
        explain.agreement_matrix({"a": [1, 2], "b": [3, 2, 1]})
    with pytest.raises(TypeError, match="mapping"):
        explain.agreement_matrix([[1, 2], [2, 1]])


# ----------------------------------------------------------------------------- faithfulness


def _linear_model(weights):
    weights = np.asarray(weights, dtype=float)

    def predict(X):
        p = 1 / (1 + np.exp(-(np.asarray(X) @ weights)))
        return np.column_stack([1 - p, p])

    return predict


def test_deletion_removes_features_in_the_order_of_the_attributions():
    predict = _linear_model([3.0, 2.0, 1.0])
    X = np.array([[1.0, 1.0, 1.0]])
    curve = explain.deletion_curve(predict, X, [3.0, 2.0, 1.0])
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(curve.fractions, [0, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(curve.scores, sig(np.array([6.0, 3.0, 1.0, 0.0])))
    assert curve.kind == "deletion" and curve.order == "attribution"
    assert curve.target.tolist() == [1]


def test_insertion_restores_features_in_the_order_of_the_attributions():
    predict = _linear_model([3.0, 2.0, 1.0])
    X = np.array([[1.0, 1.0, 1.0]])
    curve = explain.insertion_curve(predict, X, [1.0, 2.0, 3.0])  # worst order
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_allclose(curve.scores, sig(np.array([0.0, 1.0, 3.0, 6.0])))


def test_faithful_attributions_beat_random_and_reversed_orders():
    rng = np.random.default_rng(5)
    weights = np.linspace(2.0, 0.0, 10)
    predict = _linear_model(weights)
    X = np.abs(rng.normal(size=(50, 10)))
    attributions = X * weights  # the exact contribution of each feature
    kw = {"baseline": 0.0}
    good = explain.deletion_curve(predict, X, attributions, **kw)
    rand = explain.deletion_curve(predict, X, order="random", seed=1, **kw)
    worst = explain.deletion_curve(predict, X, -attributions, **kw)
    assert good.auc < rand.auc < worst.auc
    good_in = explain.insertion_curve(predict, X, attributions, **kw)
    rand_in = explain.insertion_curve(predict, X, order="random", seed=1, **kw)
    assert good_in.auc > rand_in.auc
    # the two curves share their end points: nothing removed / everything restored
    assert good.scores[0] == pytest.approx(good_in.scores[-1])
    assert good.scores[-1] == pytest.approx(good_in.scores[0])


def test_curve_options_steps_baseline_target_and_absolute():
    predict = _linear_model([1.0, -1.0, 0.5, 0.0])
    X = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]])
    curve = explain.deletion_curve(predict, X, [1, 1, 1, 1], steps=2)
    assert curve.fractions.tolist() == [0.0, 0.5, 1.0]
    assert curve.per_example.shape == (2, 3)
    # a per-feature baseline equal to X changes nothing: a flat curve
    flat = explain.deletion_curve(predict, X, [4, 3, 2, 1], baseline=X[0])
    np.testing.assert_allclose(flat.per_example[0], flat.per_example[0, 0])
    # following class 0 instead of the predicted class
    other = explain.deletion_curve(predict, X, [4, 3, 2, 1], target=np.array([0, 0]))
    assert other.target.tolist() == [0, 0]
    # signed order removes the negative feature last; absolute order removes it second
    signed = explain.deletion_curve(predict, X[:1], [1.0, -0.9, 0.5, 0.0])
    magnitude = explain.deletion_curve(predict, X[:1], [1.0, -0.9, 0.5, 0.0],
                                       absolute=True)
    assert signed.scores[2] < magnitude.scores[2]


def test_random_curve_is_seeded_and_needs_no_attributions():
    predict = _linear_model([1.0, 2.0, 3.0])
    X = np.random.default_rng(6).normal(size=(20, 3))
    a = explain.deletion_curve(predict, X, order="random", seed=3)
    b = explain.deletion_curve(predict, X, order="random", seed=3)
    c = explain.deletion_curve(predict, X, order="random", seed=4)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert not np.array_equal(a.per_example, c.per_example)
    assert a.frame().columns.tolist() == ["fraction", "score"]


def test_curve_does_not_modify_its_inputs():
    predict = _linear_model([1.0, 2.0])
    X = np.array([[1.0, 2.0]])
    attributions = np.array([[0.5, 0.1]])
    explain.deletion_curve(predict, X, attributions)
    explain.insertion_curve(predict, X, attributions)
    assert X.tolist() == [[1.0, 2.0]] and attributions.tolist() == [[0.5, 0.1]]


def test_curves_reject_bad_input():
    predict = _linear_model([1.0, 2.0])
    X = np.ones((3, 2))
    with pytest.raises(TypeError, match="predict_fn"):
        explain.deletion_curve("model", X, [1, 2])
    with pytest.raises(ValueError, match="needs attributions"):
        explain.deletion_curve(predict, X)
    with pytest.raises(ValueError, match="shape \\(2,\\) or \\(3, 2\\)"):
        explain.deletion_curve(predict, X, [1, 2, 3])
    with pytest.raises(ValueError, match="baseline"):
        explain.insertion_curve(predict, X, [1, 2], baseline=[0, 0, 0])
    with pytest.raises(ValueError, match="steps=3 is more than"):
        explain.deletion_curve(predict, X, [1, 2], steps=3)
    with pytest.raises(ValueError, match="Unknown order"):
        explain.deletion_curve(predict, X, [1, 2], order="reverse")
    with pytest.raises(ValueError, match="X must be 2-D"):
        explain.deletion_curve(predict, np.ones(2), [1, 2])
    with pytest.raises(ValueError, match="target"):
        explain.deletion_curve(predict, X, [1, 2], target=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="predict_fn must return"):
        explain.deletion_curve(lambda X: X[:, 0], X, [1, 2])


# ----------------------------------------------------------------------------- fidelity


def test_fidelity_is_the_share_of_matching_predictions():
    assert explain.fidelity([0, 1, 2, 2], [0, 1, 2, 2]) == 1.0
    assert explain.fidelity([0, 1, 2, 2], [1, 1, 2, 0]) == 0.5
    assert explain.fidelity(["cat", "dog"], ["cat", "cat"]) == 0.5
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert explain.fidelity(scores, [1, 0, 0]) == pytest.approx(2 / 3)
    assert explain.fidelity(np.array([1.0, 0.0]), np.array([1, 1])) == 0.5


def test_fidelity_rejects_bad_input():
    with pytest.raises(ValueError, match="same examples"):
        explain.fidelity([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        explain.fidelity([], [])
    with pytest.raises(ValueError, match="non-integer"):
        explain.fidelity([0.2, 0.7], [0, 1])
    with pytest.raises(ValueError, match="one column"):
        explain.fidelity(np.ones((3, 1)), [0, 0, 0])
