import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlimits import fit, plot  # noqa: E402


def test_power_law_recovers_exact_parameters():
    x = np.array([10, 20, 40, 80, 160, 320, 640.0])
    f = fit.fit_power_law(x, 3 * x**-0.5 + 0.1, n_boot=20)
    assert (f.a, f.b, f.c) == pytest.approx((3, 0.5, 0.1), rel=1e-4)
    assert f.predict([100])[0] == pytest.approx(0.4, rel=1e-4)
    assert f.halving_factor() == pytest.approx(4.0, rel=1e-3)
    assert f.x_for(0.4) == pytest.approx(100, rel=1e-3)
    assert f.x_for(0.05) == float("inf")  # below the irreducible term


def test_power_law_without_offset():
    x = np.geomspace(1, 1e4, 9)
    f = fit.fit_power_law(x, 2 * x**-0.25, offset=False, n_boot=20)
    assert f.c == 0 and f.b == pytest.approx(0.25, rel=1e-6)


def test_bootstrap_interval_covers_truth_with_noise():
    rng = np.random.default_rng(0)
    x = np.repeat(np.geomspace(50, 5000, 6), 3)
    y = (4 * x**-0.6 + 0.02) * np.exp(0.05 * rng.normal(size=x.size))
    f = fit.fit_power_law(x, y, n_boot=200, seed=1)
    lo, hi = f.ci["b"]
    assert lo < 0.6 < hi and hi - lo < 0.4
    band_lo, band_hi = f.band([100, 1000])
    assert np.all(band_lo <= f.predict([100, 1000]) + 1e-12)
    assert np.all(f.predict([100, 1000]) <= band_hi + 1e-12)
    assert f.samples.shape[1] == 3 and "b in [" in str(f)


def test_bootstrap_is_seeded():
    x = np.geomspace(10, 1000, 6)
    y = 5 * x**-0.4 * (1 + 0.03 * np.sin(x))
    a = fit.fit_power_law(x, y, n_boot=50, seed=3)
    b = fit.fit_power_law(x, y, n_boot=50, seed=3)
    c = fit.fit_power_law(x, y, n_boot=50, seed=4)
    assert a.ci == b.ci
    assert a.ci["b"] != c.ci["b"], "the seed must change the bootstrap"
    lines = [fit.fit_line(x, np.log(y), n_boot=50, seed=s).ci["slope"] for s in (3, 3, 4)]
    assert lines[0] == lines[1] != lines[2]
    with pytest.raises(TypeError, match="seed must be an integer"):
        fit.fit_power_law(x, y, seed=None)


X6 = np.geomspace(10, 1000, 6)


@pytest.mark.parametrize("offset", [True, False])
@pytest.mark.parametrize(
    ("shape", "y"),
    [
        ("rising", 0.1 * X6**0.3),
        ("flat", np.full(6, 0.2)),
        ("U-shaped", 0.1 + 0.05 * (np.log(X6) - np.log(100)) ** 2),
        ("mostly rising", np.array([1, 0.1, 0.2, 0.3, 0.4, 0.5])),
    ],
)
def test_power_law_refuses_data_that_do_not_decrease(shape, y, offset):
    with pytest.raises(ValueError, match="does not (decrease|fall)"):
        fit.fit_power_law(X6, y, offset=offset, n_boot=10)


def test_halving_factor_never_returns_a_number_for_a_non_decaying_exponent():
    ci = {k: (np.nan, np.nan) for k in "abc"}
    for b in (-0.3, 0.0):
        f = fit.PowerLawFit(1.0, b, 0.0, ci, 0.95, np.empty((0, 3)), offset=False)
        for method in (f.halving_factor, f.halving_factor_ci, lambda f=f: f.x_for(0.5)):
            with pytest.raises(ValueError, match="<= 0"):
                method()
    # a tiny but positive exponent: the factor is astronomically large, not an overflow error
    f = fit.PowerLawFit(1.0, 1e-4, 0.0, ci, 0.95, np.empty((0, 3)), offset=False)
    assert f.halving_factor() == float("inf")


def test_a_fit_on_a_bound_says_so():
    good = fit.fit_power_law(X6, 3 * X6**-0.5 + 0.1, n_boot=10)
    assert good.at_bound == () and "note" not in str(good)
    # no floor in the data: c is pushed to its bound 0
    no_floor = fit.fit_power_law(X6, 3 * X6**-0.5, n_boot=10)
    assert no_floor.at_bound == ("c",)
    assert "c is at its bound 0: the floor is not identified" in str(no_floor)
    # a curve that has flattened onto its lowest point: c is pushed to min(y)
    flattened = fit.fit_power_law(X6, [0.5, 0.3, 0.2, 0.18, 0.25, 0.4], n_boot=10)
    assert flattened.at_bound == ("c",) and flattened.c == pytest.approx(0.18)
    assert "c is at its bound min(y) = 0.18" in str(flattened)
    # a cliff: b is pushed to its upper bound, and no halving factor is given
    cliff = fit.fit_power_law(X6, 0.1 + 0.9 * (X6 / 10) ** -20.0, n_boot=10)
    assert "b" in cliff.at_bound and cliff.b == pytest.approx(fit.B_BOUNDS[1])
    assert "b is at its bound 10: the exponent is not identified" in str(cliff)
    for method in (cliff.halving_factor, cliff.halving_factor_ci):
        with pytest.raises(ValueError, match="at its bound 10"):
            method()
    # a pure power law has no bounds to sit on
    assert fit.fit_power_law(X6, 3 * X6**-0.5, offset=False, n_boot=10).at_bound == ()


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([1, 2, 3, 4], [1, 0.5, -0.1, 0.1], "every y must be > 0; found y=-0.1"),
        ([0, 2, 3, 4], [1, 0.5, 0.3, 0.2], "every x must be > 0; found x=0"),
        ([1, 2, 3], [1, 0.5], "same length"),
        ([1, 2, 3], [1, 0.5, 0.3], "at least 4 points"),
        ([], [], "at least 1 values"),
        ([1, 1, 2, 2], [1, 1, 0.5, 0.5], "at least 4 distinct x values"),
        ([1, 2, np.nan, 4], [1, 0.5, 0.3, 0.2], "NaN or infinite"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], "one-dimensional"),
    ],
)
def test_power_law_bad_inputs(x, y, match):
    with pytest.raises(ValueError, match=match):
        fit.fit_power_law(x, y)


def test_power_law_bad_options():
    x, y = [1, 2, 3, 4], [1, 0.6, 0.4, 0.3]
    with pytest.raises(ValueError, match="level must be strictly between 0 and 1"):
        fit.fit_power_law(x, y, level=1.5)
    with pytest.raises(ValueError, match="n_boot must be >= 0"):
        fit.fit_power_law(x, y, n_boot=-1)
    with pytest.raises(TypeError, match="offset must be True or False"):
        fit.fit_power_law(x, y, offset="no")


def test_no_bootstrap_means_no_interval_not_a_zero_width_one():
    x = np.geomspace(10, 1000, 6)
    y = 3 * x**-0.5 * (1 + 0.05 * np.sin(x))
    f = fit.fit_power_law(x, y, offset=False, n_boot=0)
    assert f.samples.shape == (0, 3) and not f.has_interval
    assert all(np.isnan(v) for pair in f.ci.values() for v in pair)
    assert "no interval" in str(f) and "b in [" not in str(f)
    assert np.all(np.isnan(f.halving_factor_ci()))
    assert np.all(np.isnan(f.band([100, 200])))
    line = fit.fit_line(np.log(x), np.log(y), n_boot=0)
    assert not line.has_interval and "no interval" in str(line)
    assert np.all(np.isnan(line.ci["slope"])) and np.all(np.isnan(line.band([1.0, 2.0])))
    fig, ax = plt.subplots()
    plot.plot_fit(ax, f, (10, 1000))
    plot.plot_fit(ax, line, (2, 7), log_spaced=False)
    assert len(ax.collections) == 0, "no band is drawn without an interval"
    plt.close(fig)


def test_halving_factor_interval_is_ordered_and_open_ended_when_b_may_be_zero():
    rng = np.random.default_rng(0)
    x = np.repeat(np.geomspace(50, 5000, 6), 3)
    f = fit.fit_power_law(x, 4 * x**-0.6 * np.exp(0.05 * rng.normal(size=x.size)),
                          offset=False, n_boot=100)
    lo, hi = f.halving_factor_ci()
    assert lo <= f.halving_factor() <= hi
    assert (lo, hi) == pytest.approx((2 ** (1 / f.ci["b"][1]), 2 ** (1 / f.ci["b"][0])))
    f.ci["b"] = (-0.1, 0.5)          # an interval that reaches below 0 (set by hand)
    assert f.halving_factor_ci() == (4.0, float("inf"))
    f.ci["b"] = (0.5, 0.25)          # reversed by hand: still ordered
    assert f.halving_factor_ci() == (4.0, 16.0)
    f.ci["b"] = (-0.2, -0.1)
    assert f.halving_factor_ci() == (float("inf"), float("inf"))


def test_x_for_a_target_below_the_floor_is_infinite():
    f = fit.fit_power_law(X6, 3 * X6**-0.5 + 0.1, n_boot=0)
    assert f.x_for(0.1) == f.x_for(0.05) == float("inf")
    assert f.x_for(0.1 + 3 * 1e4**-0.5) == pytest.approx(1e4, rel=1e-6)
    with pytest.raises(ValueError, match="y_target must be > 0"):
        f.x_for(0)


def test_fit_line_slope_intercept_and_interval():
    x = np.arange(2000, 2021, dtype=float)
    rng = np.random.default_rng(2)
    y = 0.5 * x - 990 + 0.1 * rng.normal(size=x.size)
    f = fit.fit_line(x, y, n_boot=300)
    assert f.slope == pytest.approx(0.5, abs=0.02)
    lo, hi = f.ci["slope"]
    assert lo < 0.5 < hi and f.r2 > 0.99
    assert f.predict([2030])[0] == pytest.approx(0.5 * 2030 - 990, abs=0.5)
    with pytest.raises(ValueError, match="two distinct values"):
        fit.fit_line([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 3 points"):
        fit.fit_line([1, 2], [1, 2])


def test_fit_line_keeps_the_slope_when_x_is_far_from_zero():
    k = np.arange(20, dtype=float)
    rng = np.random.default_rng(1)
    y = 2 * k + 1 + 0.1 * rng.normal(size=k.size)
    near, far = fit.fit_line(k, y, n_boot=200), fit.fit_line(1e15 + k, y, n_boot=200)
    assert far.slope == pytest.approx(near.slope, rel=1e-9)
    assert far.ci["slope"] == pytest.approx(near.ci["slope"], rel=1e-9)
    assert far.r2 == pytest.approx(near.r2, rel=1e-9)
    np.testing.assert_allclose(far.predict(1e15 + k), near.predict(k), rtol=1e-9)
    np.testing.assert_allclose(far.band(1e15 + k), near.band(k), rtol=1e-9)
    assert "·x - 98.96 " in str(fit.fit_line(k, y - 100, n_boot=0))  # not "+ -98.96"


def test_plot_helpers_draw_fit_and_band():
    plot.use_style()
    x = np.geomspace(10, 1000, 6)
    f = fit.fit_power_law(x, 2 * x**-0.5 + 0.01, n_boot=30)
    fig, ax = plt.subplots()
    plot.log_axes(ax, "training examples", "test error")
    line = plot.plot_fit(ax, f, (10, 1000), label="fit")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert line.get_label() == "fit" and len(ax.collections) == 1  # the band
    with pytest.raises(ValueError, match="increasing"):
        plot.plot_fit(ax, f, (1000, 10))
    with pytest.raises(ValueError, match="must be positive"):
        plot.plot_fit(ax, f, (0, 10))
    with pytest.raises(TypeError, match="PowerLawFit or LineFit"):
        plot.plot_fit(ax, "fit", (1, 10))
    with pytest.raises(TypeError, match="matplotlib Axes"):
        plot.log_axes("ax", "x", "y")
    plt.close(fig)


def test_plot_fit_transform_draws_a_log2_fit_on_a_log_axis():
    years = np.arange(2010, 2021, dtype=float)
    f = fit.fit_line(years, 0.5 * (years - 2010) + 60, n_boot=20)   # log2 of compute
    fig, ax = plt.subplots()
    line = plot.plot_fit(ax, f, (2010, 2020), log_spaced=False, transform=lambda y: 2.0**y)
    np.testing.assert_allclose(line.get_ydata()[0], 2.0**60, rtol=1e-6)
    with pytest.raises(TypeError, match="transform must be a function"):
        plot.plot_fit(ax, f, (2010, 2020), log_spaced=False, transform=2)
    plt.close(fig)
