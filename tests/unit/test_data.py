import numpy as np
import pytest
import torch

from dlimits import data


@pytest.mark.parametrize(
    ("name", "n_features", "n_classes", "n_total"),
    [("digits", 64, 10, 1797), ("breast_cancer", 30, 2, 569), ("mnist5k", 784, 10, 5000)],
)
def test_load_shapes_and_split(name, n_features, n_classes, n_total):
    s = data.load(name)
    assert s.n_features == n_features
    assert s.n_classes == n_classes
    assert s.n_train + s.n_test == n_total
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    # every class is in both halves (stratified split)
    assert set(np.unique(s.y_train)) == set(np.unique(s.y_test)) == set(range(n_classes))


def test_split_is_fixed_by_seed():
    a, b, c = data.load("digits"), data.load("digits"), data.load("digits", seed=1)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)


def test_images_are_scaled_to_unit_interval():
    for name in ("digits", "mnist5k"):
        s = data.load(name)
        assert s.X_train.min() >= 0 and s.X_train.max() <= 1


def test_tabular_data_is_standardised_with_training_statistics():
    s = data.load("breast_cancer")
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(s.X_train.std(axis=0), 1, atol=1e-4)
    assert abs(s.X_test.mean()) < 0.2  # test set uses the training statistics, so not exactly 0


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match="Unknown dataset name 'cifar10'.*'digits'"):
        data.load("cifar10")
    with pytest.raises(TypeError, match="name must be a string"):
        data.load(3)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1])
def test_bad_test_size(bad):
    with pytest.raises(ValueError, match="test_size"):
        data.load("digits", test_size=bad)


def test_subsample_is_stratified_seeded_and_validated():
    s = data.load("digits")
    sub = s.subsample(100, seed=0)
    assert sub.n_train == 100 and sub.n_test == s.n_test
    counts = np.bincount(sub.y_train, minlength=10)
    assert counts.min() >= 9 and counts.max() <= 11
    np.testing.assert_array_equal(sub.X_test, s.X_test)
    assert s.subsample(s.n_train) is s
    with pytest.raises(ValueError, match="Cannot take n=5000"):
        s.subsample(5000)
    with pytest.raises(ValueError, match="smaller than the number of classes"):
        s.subsample(5)
    with pytest.raises(ValueError, match="n must be >= 1"):
        s.subsample(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        s.subsample(10.5)
    with pytest.raises(TypeError, match="seed must be an integer"):
        s.subsample(100, seed=None)
    # the same seed gives the same subset, another seed another one
    np.testing.assert_array_equal(s.subsample(100, seed=0).X_train, sub.X_train)
    assert not np.array_equal(s.subsample(100, seed=1).X_train, sub.X_train)


@pytest.mark.parametrize("left_out", [1, 3, 9])
def test_subsample_close_to_the_full_training_set(left_out):
    s = data.load("digits")
    sub = s.subsample(s.n_train - left_out, seed=0)
    assert sub.n_train == s.n_train - left_out
    lost = np.bincount(s.y_train, minlength=10) - np.bincount(sub.y_train, minlength=10)
    assert lost.min() >= 0 and lost.sum() == left_out


def test_subsample_refuses_a_class_too_rare_to_stratify():
    X = np.zeros((21, 2), np.float32)
    y = np.array([0] * 10 + [1] * 10 + [2])
    s = data.Split(X, y, X, y, "classification", 3, "rare")
    with pytest.raises(ValueError, match="Class 2 has a single training example"):
        s.subsample(10)


def test_split_rejects_mismatched_and_empty_arrays():
    X = np.zeros((10, 3), np.float32)
    y = np.zeros(10, np.int64)
    with pytest.raises(ValueError, match="X_train has 10 rows but y_train has 9"):
        data.Split(X, y[:9], X, y, "classification", 2, "bad")
    with pytest.raises(ValueError, match="train set is empty"):
        data.Split(X[:0], y[:0], X, y, "classification", 2, "bad")
    with pytest.raises(ValueError, match="different numbers of features"):
        data.Split(X, y, X[:, :2], y, "classification", 2, "bad")
    with pytest.raises(ValueError, match="Unknown task"):
        data.Split(X, y, X, y, "ranking", 2, "bad")


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"X_train": np.array([[1.0, np.nan]] * 4)}, ValueError, "NaN or infinite.*row 0, column 1"),
        ({"X_test": np.array([[1.0, np.inf]] * 4)}, ValueError, "X_test contains NaN or infinite"),
        ({"y_train": np.zeros((4, 3))}, ValueError, r"1-D.*y.argmax\(axis=1\)"),
        ({"y_train": np.array([0, 1, 0.5, 1])}, ValueError, "must be integers.*0.5"),
        ({"y_train": np.array([0, 1, 2, 1])}, ValueError, r"0\.\.1 \(n_classes=2\).*from 0 to 2"),
        ({"y_test": np.array([0, -1, 0, 1])}, ValueError, r"lie in 0\.\.1"),
        ({"y_train": np.array(["a", "b", "a", "b"])}, TypeError, "must be integers"),
        ({"n_classes": 1}, ValueError, "n_classes must be >= 2"),
        ({"X_train": np.array([["a", "b"]] * 4)}, TypeError, "real numbers"),
    ],
)
def test_split_validates_features_and_labels(change, error, match):
    X = np.ones((4, 2))
    y = np.array([0, 1, 0, 1])
    kwargs = {"X_train": X, "y_train": y, "X_test": X, "y_test": y, "task": "classification",
              "n_classes": 2, "name": "bad"} | change
    with pytest.raises(error, match=match):
        data.Split(**kwargs)


def test_split_converts_to_the_documented_dtypes():
    X = np.ones((4, 2))                                 # float64
    s = data.Split(X, np.array([0.0, 1, 0, 1]), X, np.array([0, 1, 0, 1], np.int32),
                   "classification", 2, "ok")
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == s.y_test.dtype == np.int64
    r = data.Split(X, np.arange(4.0), X, np.arange(4), "regression", 0, "reg")
    assert r.y_train.dtype == r.y_test.dtype == np.float32
    with pytest.raises(ValueError, match="n_classes must be 0 for a regression"):
        data.Split(X, np.arange(4.0), X, np.arange(4.0), "regression", 2, "reg")
    with pytest.raises(ValueError, match="NaN or infinite targets"):
        data.Split(X, np.array([0, 1, np.nan, 2]), X, np.arange(4.0), "regression", 0, "reg")


def test_standardize_accepts_only_true_false_or_none():
    raw = data.load("breast_cancer", standardize=False)
    assert raw.X_train.mean() > 10  # raw clinical units
    assert data.load("digits", standardize=True).X_train.mean() == pytest.approx(0, abs=1e-6)
    for bad in ("no", 0, 1, "False"):
        with pytest.raises(TypeError, match="standardize must be True, False or None"):
            data.load("digits", standardize=bad)


def test_tensors_round_trip():
    s = data.load("digits")
    X, y, Xt, yt = s.tensors()
    assert isinstance(X, torch.Tensor) and X.shape == (s.n_train, 64) and yt.dtype == torch.int64


def test_teacher_student_regression_floor_is_the_noise_variance():
    s = data.teacher_student(200, 20000, noise=0.5, seed=3)
    assert s.info["bayes_error"] == pytest.approx(0.25)
    # the teacher itself reaches the floor on the test set
    residual = s.y_test - s.info["teacher"](s.X_test)[:, 0]
    assert np.mean(residual**2) == pytest.approx(0.25, rel=0.05)


def test_teacher_student_classification_flip_rate_is_the_floor():
    s = data.teacher_student(200, 20000, task="classification", n_classes=4, noise=0.2, seed=1)
    clean = s.info["teacher"](s.X_test).argmax(axis=1)
    assert np.mean(clean != s.y_test) == pytest.approx(0.2, abs=0.01)
    assert s.n_classes == 4 and s.info["bayes_error"] == 0.2


def test_teacher_student_is_reproducible_and_validated():
    a = data.teacher_student(50, 10, seed=7)
    b = data.teacher_student(50, 10, seed=7)
    c = data.teacher_student(50, 10, seed=8)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.teacher_student(50, noise=-1.0)
    with pytest.raises(ValueError, match="carry no signal"):
        data.teacher_student(50, task="classification", n_classes=2, noise=0.5)
    with pytest.raises(ValueError, match="Unknown task"):
        data.teacher_student(50, task="clustering")
    with pytest.raises(ValueError, match="n_train must be >= 1"):
        data.teacher_student(0)
