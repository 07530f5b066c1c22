"""Checks a student runs after an exercise: "passed", or what is still wrong.

In the student edition of the course (``make student``) the solution of a code exercise is
replaced by a *starter* — the task, the names to define and a ``raise NotImplementedError`` where
the student writes code — and followed by a check cell::

    check("ex-distill-quant",
          ("int8_acc is the int8 student's test accuracy, a fraction",
           lambda: 0 < int8_acc <= 1),
          ("the int8 student is within half a point of the fp32 one",
           lambda: abs(int8_acc - student_acc) < 0.005))

Each condition is a description and a function of no arguments that returns ``True`` when the
condition holds. :func:`check` never raises: a name the student has not defined yet, an
exception inside a condition or a condition that is false each print one line saying which
condition is not met, so that *Run all* goes on. The same check cells run, hidden, after the
solutions in the book's own notebooks, where the test suite requires them to say "passed".
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

PASSED = "passed"
NOT_YET = "not yet"


def _verdict(condition: Callable[[], object]) -> tuple[bool, str]:
    try:
        value = condition()
    except NameError as err:
        name = getattr(err, "name", None) or str(err)
        return False, f"`{name}` is not defined yet: run your cell above first"
    except NotImplementedError:
        return False, "your cell above still raises NotImplementedError"
    except Exception as err:  # a student's code may fail in any way: report it, never stop
        return False, f"checking it raised {type(err).__name__}: {err}"
    if isinstance(value, (bool, np.bool_)):
        return bool(value), ""
    answers = _booleans(value)
    if answers is not None:  # a comparison of the student's array or tensor
        if answers.size == 1:
            return bool(answers.reshape(-1)[0]), ""
        return False, (f"it gave {answers.size} True/False values (shape {answers.shape}) "
                       "where one was expected: is your answer a single number?")
    raise TypeError(
        f"a check condition must return True or False, got {type(value).__name__} {value!r}; "
        "write the comparison into the condition (e.g. lambda: x > 0.9)."
    )


def _booleans(value: object) -> np.ndarray | None:
    """``value`` as a NumPy bool array if it is a boolean array, tensor or pandas object, else
    ``None``. A comparison involving a student's NumPy array or PyTorch tensor returns one of
    these, even for a single number (``torch.tensor(0.9) > 0.5`` is ``tensor(True)``)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.dtype != torch.bool:
            return None
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.dtype == bool:
        return value
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.Series | pandas.DataFrame):
        array = value.to_numpy()
        return array if array.dtype == bool else None
    return None


def check(exercise: str, *conditions: tuple[str, Callable[[], object]]) -> None:
    """Print whether the student's answer to ``exercise`` meets every condition.

    Parameters
    ----------
    exercise:
        The exercise's label (``ex-...``), printed with the verdict.
    conditions:
        Pairs ``(description, condition)``: a sentence saying what must hold and a function of
        no arguments returning ``True`` or ``False``. A boolean array or tensor (what a
        comparison with a student's NumPy or PyTorch answer gives) is a verdict too: one
        element is read as its value; several elements mean the answer is not a single number,
        and the check says "not yet".

    Prints ``"<exercise>: passed (n checks)"`` or, for the first condition not met,
    ``"<exercise>: not yet — <description> (<why>)"``. Returns nothing, so that a check cell
    shows the verdict alone.

    Raises
    ------
    ValueError, TypeError
        When the check itself is malformed (no conditions, a condition that is not a
        ``(str, callable)`` pair, a condition returning something other than a bool) — that is
        an error of the course, not of the student, and must not pass silently.

    Examples
    --------
    >>> x = 3
    >>> check("ex-demo", ("x is three", lambda: x == 3))
    ex-demo: passed (1 check)
    >>> check("ex-demo", ("y is positive", lambda: y > 0))
    ex-demo: not yet — y is positive (`y` is not defined yet: run your cell above first)
    """
    if not isinstance(exercise, str) or not exercise.strip():
        raise ValueError(f"exercise must be the exercise's label, got {exercise!r}.")
    if not conditions:
        raise ValueError(f"check({exercise!r}) needs at least one (description, condition) pair "
                         "in conditions.")
    for i, pair in enumerate(conditions):
        if (not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[0], str)
                or not callable(pair[1])):
            raise TypeError(
                f"condition {i + 1} of {exercise!r} must be a pair (description, function), "
                f"got {pair!r}."
            )
    for description, condition in conditions:
        ok, why = _verdict(condition)
        if not ok:
            reason = f" ({why})" if why else ""
            print(f"{exercise}: {NOT_YET} — {description}{reason}")
            return
    n = len(conditions)
    print(f"{exercise}: {PASSED} ({n} check{'s' if n > 1 else ''})")
