import numpy as np
import pytest

from dlimits import claim, claims


@pytest.fixture
def reader(monkeypatch):
    """A reader's session: false claims show a note."""
    monkeypatch.delenv(claims.STRICT_ENV, raising=False)


@pytest.fixture
def strict(monkeypatch):
    """The test suite: false claims fail the run."""
    monkeypatch.setenv(claims.STRICT_ENV, "1")


def test_a_true_claim_passes_silently(strict, capsys):
    # it returns nothing, so that a claim ending a cell prints nothing
    assert claim(2 + 2 == 4, "two and two make four", total=4) is None
    claim(np.float64(1.5) > 1, "numpy booleans are accepted")
    claim(np.array(True), "a 0-d boolean array is accepted")
    assert capsys.readouterr().out == ""


def test_a_false_claim_fails_under_the_tests_with_its_words_and_values(strict):
    with pytest.raises(claims.ClaimFailed, match=r"“b is above 1”, but it is false here \(b = 0.8\)"):
        claim(0.8 > 1, "b is above 1", b=0.8)
    assert issubclass(claims.ClaimFailed, AssertionError)


def test_a_false_claim_shows_a_note_to_a_reader_and_goes_on(reader, capsys):
    claim(0.8 > 1, "b is above 1", b=0.8, n=1200)
    out = capsys.readouterr().out
    assert "the text says “b is above 1”" in out and "b = 0.8, n = 1,200" in out
    assert "no longer holds" in out


def test_claim_needs_a_single_boolean_and_words(strict):
    for bad in (np.array([True, False]), 1, None, "yes", np.array(1.0)):
        with pytest.raises(TypeError, match="needs a single True/False"):
            claim(bad, "a statement")
    for bad in ("", "   ", None):
        with pytest.raises(ValueError, match="non-empty string"):
            claim(True, bad)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("on", True),
                                                 ("0", False), ("", False), ("no", False)])
def test_strict_mode_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(claims.STRICT_ENV, value)
    assert claims.strict_mode() is expected


def test_strict_mode_refuses_an_unclear_setting(monkeypatch):
    monkeypatch.setenv(claims.STRICT_ENV, "maybe")
    with pytest.raises(ValueError, match="must be 1 or 0"):
        claims.strict_mode()


def test_the_note_renders_as_markdown():
    note = claims.ClaimNote("b is above 1", {"b": 0.8})
    md = note._repr_markdown_()
    assert md.startswith("> **") and "Note:** the text says" in md and "b = 0.8" in md


def test_a_false_claim_with_a_nan_value_still_shows_a_note(reader, capsys):
    # a fit without an interval has nan bounds; a false claim about it must not crash
    claim(False, "the interval excludes 0", b_lo=float("nan"), b_hi=float("inf"))
    assert "b_lo = nan" in capsys.readouterr().out


def test_exercise_check_reports_without_raising(capsys):
    import numpy as np

    from dlimits.exercises import check

    check("ex-a", ("numpy bools count", lambda: np.float64(2.0) > 1))
    assert "ex-a: passed (1 check)" in capsys.readouterr().out

    def starter():
        raise NotImplementedError

    check("ex-b", ("defined", lambda: starter()))
    assert "still raises NotImplementedError" in capsys.readouterr().out
    check("ex-c", ("x is set", lambda: undefined_name > 0))  # noqa: F821
    assert "`undefined_name` is not defined yet" in capsys.readouterr().out
    check("ex-d", ("ok", lambda: True), ("false", lambda: 1 > 2))
    assert "ex-d: not yet — false" in capsys.readouterr().out
    check("ex-e", ("broken student code", lambda: 1 / 0 > 1))
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_exercise_check_refuses_a_malformed_check():
    import pytest

    from dlimits.exercises import check

    with pytest.raises(ValueError, match="at least one"):
        check("ex-a")
    with pytest.raises(TypeError, match="pair"):
        check("ex-a", lambda: True)
    with pytest.raises(TypeError, match="True or False"):
        check("ex-a", ("a number is not a verdict", lambda: 0.5))
    with pytest.raises(ValueError, match="label"):
        check("", ("x", lambda: True))
