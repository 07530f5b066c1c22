"""Claims: how a chapter states what its numbers show, safely for a reader who edits them.

Every quantitative sentence of a chapter ("the fitted exponent is steeper than 1", "pruning 90 %
of the weights costs less than a point of accuracy") is checked by a :func:`claim` in a hidden
cell. What happens when a claim is false depends on who is running the notebook:

* **Under the test suite** (``make test``, CI: the environment variable ``DLIMITS_STRICT=1``) a
  false claim raises :class:`ClaimFailed` carrying the claim's words and the values it was
  judged on, so the run fails and says which sentence of the book no longer holds.
* **In a reader's session** a false claim shows a visible note — "the text says …; with your
  numbers it no longer holds" — and the notebook goes on. A reader who changes an assumption,
  a seed or a budget sees what their change did to the argument instead of a crash.

The values passed as keywords are shown in the note and in the error, and they tie the check to
the numbers the prose quotes: name them after the ``glue`` keys the text uses
(``claim(b > 1, "…", b_digits=b)``), which is how the course's anatomy test finds the check of
every glued result.

Examples
--------
>>> claim(2 + 2 == 4, "two and two make four", total=4)

A false claim in a reader's session shows "Note: the text says “two and two make five”; with the
numbers of this run it no longer holds (total = 4). …"; under the tests it raises
:class:`ClaimFailed`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from numbers import Number
from typing import Any

import numpy as np

__all__ = ["ClaimFailed", "claim", "strict_mode"]

STRICT_ENV = "DLIMITS_STRICT"


class ClaimFailed(AssertionError):
    """A claim of the text is false for the numbers of this run (raised under the test suite)."""


def strict_mode() -> bool:
    """``True`` when false claims must fail the run (``DLIMITS_STRICT=1``, set by ``make test``)."""
    value = os.environ.get(STRICT_ENV, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{STRICT_ENV} must be 1 or 0 (or true/false), got {value!r}.")


def _format_value(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, Number | np.number):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.4g}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_values(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {_format_value(v)}" for k, v in values.items())


class ClaimNote:
    """The note a reader sees when a claim no longer holds (rendered by Jupyter)."""

    def __init__(self, statement: str, values: Mapping[str, Any]):
        self.statement = statement
        self.values = dict(values)

    def text(self) -> str:
        line = (f"Note: the text says \u201c{self.statement}\u201d; with the numbers of this run "
                "it no longer holds")
        if self.values:
            line += f" ({_format_values(self.values)})"
        return line + ". The notebook goes on; the sentences built on this claim may not apply."

    def __repr__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        return "> **\u26a0 " + self.text().replace("Note: ", "Note:** ", 1)


def _display(note: ClaimNote) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print the note
        print(note.text())
        return
    if get_ipython() is None:
        print(note.text())
    else:
        display(note)


def claim(holds: bool, statement: str, **values: Any) -> None:
    """State that ``holds`` is true, as the sentence ``statement`` of the text says.

    Parameters
    ----------
    holds:
        The result of the check, a single boolean (``numpy.bool_``, and a 0-d boolean array or
        tensor such as ``torch.tensor(0.9) > 0.5``, are accepted). Write the
        tolerance into it so that it would be false if the sentence were false:
        ``4.5 < months < 5.5`` for "about five months", not ``months > 0``.
    statement:
        The claim in the words of the text, e.g. ``"the post-2010 doubling time is about five
        months"``.
    **values:
        The numbers the claim is judged on, shown in the note or the error. Use the ``glue``
        names the prose quotes.

    Returns nothing, so that a claim at the end of a cell prints nothing when it holds.

    Raises
    ------
    ClaimFailed
        If the claim is false and the test suite is running (``DLIMITS_STRICT=1``).
    TypeError
        If ``holds`` is not a single boolean (an array, a number, ``None``): a check must say
        yes or no.
    """
    if isinstance(holds, np.ndarray) and holds.shape == () and holds.dtype == bool:
        holds = bool(holds)
    torch = sys.modules.get("torch")  # a 0-d boolean tensor is a single True/False too
    if (torch is not None and isinstance(holds, torch.Tensor) and holds.ndim == 0
            and holds.dtype == torch.bool):
        holds = bool(holds)
    if not isinstance(holds, bool | np.bool_):
        raise TypeError(
            f"claim() needs a single True/False as holds, got {type(holds).__name__} ({holds!r}); "
            "compare the value with its bound, e.g. claim(b > 1, ...), and use .all() or .any() "
            "for arrays."
        )
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement must be the claim in words, a non-empty string, got "
                         f"{statement!r}.")
    if bool(holds):
        return None
    note = ClaimNote(statement.strip(), values)
    if strict_mode():
        detail = f" ({_format_values(values)})" if values else ""
        raise ClaimFailed(f"The text says \u201c{note.statement}\u201d, but it is false here{detail}.")
    _display(note)
    return None
