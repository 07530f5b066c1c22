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
    assert a.ci == b.ci


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
    f = fit.fit_power_law(x, y, n_boot=0)
    assert f.samples.shape == (1, 3)


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
