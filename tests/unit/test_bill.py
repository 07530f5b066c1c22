import math

import numpy as np
import pytest

from dlimits import bill
from dlimits.fit import fit_line


def test_one_gpu_hour_of_work():
    b = bill.training_bill(312e12 * 0.4 * 3600)
    assert b.gpu_hours == pytest.approx(1.0)
    assert b.usd == pytest.approx(2.0)
    assert b.mwh == pytest.approx(0.4 * 1.1 / 1000)
    assert b.tco2e == pytest.approx(0.4 * 1.1 / 1000 * 0.4)


def test_bill_matches_chapter_1_1_gpt3_arithmetic():
    v100 = bill.Hardware(peak_flop_per_s=125e12, utilisation=0.2, usd_per_gpu_hour=3.06,
                         kw_per_gpu=0.33, pue=1.1, kg_co2e_per_kwh=0.429)
    b = bill.training_bill(3.14e23, v100)
    assert b.gpu_hours == pytest.approx(3.14e23 / 25e12 / 3600)
    assert b.tco2e == pytest.approx(b.mwh * 0.429)


def test_arrays_are_vectorised_and_monotone():
    b = bill.training_bill(np.array([1e20, 1e21, 1e22]))
    assert b.usd.shape == (3,)
    assert np.all(np.diff(b.usd) > 0)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), np.array([1.0, -2.0])])
def test_bad_flops_are_refused(bad):
    with pytest.raises(ValueError, match="flop"):
        bill.training_bill(bad)


@pytest.mark.parametrize("kw, match", [
    ({"utilisation": 1.5}, "at most 1"), ({"utilisation": 0}, "> 0"),
    ({"pue": 0.9}, "at least 1"), ({"usd_per_gpu_hour": float("nan")}, "NaN"),
    ({"kg_co2e_per_kwh": -0.1}, ">= 0"), ({"peak_flop_per_s": "fast"}, "number"),
])
def test_bad_hardware_is_refused(kw, match):
    with pytest.raises(ValueError, match=match):
        bill.Hardware(**kw)


def test_progress_halves_cost_at_the_stated_rates():
    b = bill.training_bill(1e24)
    later = bill.bill_after(b, 2.0, algorithmic_halving_years=2.0, hardware_halving_years=1.0)
    assert later.flop == pytest.approx(b.flop / 2)
    assert later.usd == pytest.approx(b.usd / 8)
    assert later.tco2e == pytest.approx(b.tco2e / 2)
    lever = bill.bill_after(b, 0.0, efficiency=10)
    assert lever.usd == pytest.approx(b.usd / 10)
    years = np.array([0.0, 5.0, 10.0])
    assert bill.bill_after(b, years).usd.shape == (3,)


def test_progress_refuses_bad_input():
    b = bill.training_bill(1e24)
    with pytest.raises(ValueError, match="years"):
        bill.bill_after(b, -1.0)
    with pytest.raises(ValueError, match="hardware_halving_years"):
        bill.bill_after(b, 1.0, hardware_halving_years=0)
    with pytest.raises(ValueError, match="factor"):
        bill.years_to_pay(-3)


def test_years_to_pay():
    assert float(bill.years_to_pay(8, algorithmic_halving_years=2,
                                   hardware_halving_years=2)) == pytest.approx(3.0)
    assert float(bill.years_to_pay(8, efficiency=10)) == 0.0
    rate = 1 / (16 / 12) + 1 / 2.5
    assert float(bill.years_to_pay(512)) == pytest.approx(9 / rate)


def test_compute_optimal_law_closed_form_is_the_optimum():
    law = bill.ComputeOptimalLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    c = 1e23
    n, d = law.optimal(c)
    assert 6 * n * d == pytest.approx(c)
    for k in (0.8, 1.25):   # moving the split either way costs loss
        assert law.loss(n * k, d / k) > law.optimal_loss(c)
    target = 2.0
    c_target = law.compute_for_loss(target)
    assert law.optimal_loss(c_target) == pytest.approx(target, rel=1e-9)
    assert law.gamma == pytest.approx(0.34 * 0.28 / 0.62)


@pytest.mark.parametrize("target", [1.69, 1.5, -1.0, float("nan")])
def test_unreachable_loss_is_refused(target):
    law = bill.ComputeOptimalLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
    with pytest.raises(ValueError):
        law.compute_for_loss(target)


def test_law_refuses_non_positive_parameters():
    with pytest.raises(ValueError, match="alpha"):
        bill.ComputeOptimalLaw(E=1.69, A=406.4, B=410.7, alpha=0.0, beta=0.28)


def test_extrapolate_line_inverts_an_exact_line():
    x = np.linspace(10, 14, 9)
    y = 2.0 - 0.1 * x + np.random.default_rng(0).normal(0, 0.01, x.size)
    f = fit_line(x, y, n_boot=200, seed=0)
    central, samples = bill.extrapolate_line(f, 10 ** 0.5)
    assert central == pytest.approx((0.5 - f.intercept) / f.slope)
    assert samples.shape == (200,)
    lo, hi = np.percentile(samples, [2.5, 97.5])
    assert lo < central < hi and math.isclose(central, 15, abs_tol=0.5)
    with pytest.raises(ValueError, match="target"):
        bill.extrapolate_line(f, 0.0)
    rising = fit_line(x, -y, n_boot=0)
    with pytest.raises(ValueError, match="does not fall"):
        bill.extrapolate_line(rising, 1.0)
