"""Numbers in the prose: values a notebook computes, shown in its text wherever it is read.

A chapter never types a result by hand. A code cell *glues* each number the text quotes under a
name, and the markdown shows it with an inline expression::

    glue("acc_once_80", 100 * accuracy)                      # in a code cell
    the accuracy was {eval}`glued("acc_once_80:.1f")` %       # in a markdown cell

``{eval}`` is MyST's inline expression. In JupyterLab, ``jupyterlab-myst`` evaluates it in the
notebook's kernel when the markdown cell is rendered, so after a reader changes a setting and
runs the notebook again the sentence quotes the new number; the result is stored in the cell's
``user_expressions`` metadata, which is what a notebook shows before it is run. The course's
website is built from those stored results of the committed run.

``glued("name:format")`` takes the same text as myst-nb's ``{glue:text}`` role: a name, and
optionally a format specification (``.1f``, ``+.2f``, ``,.0f``, ``.0%``); ``"other.ipynb::name:.2f"``
quotes a value glued by another notebook, read from that notebook's committed outputs (a result
of another chapter does not change when this one runs again).

Examples
--------
>>> glue("halvings", 2.5, display=False)
>>> glued("halvings:.1f")
2.5
>>> glued("halvings:.0f") + " times"
'2 times'
"""

from __future__ import annotations

import ast
import json
import os
import re
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Shown", "forget", "glue", "glued", "glued_outputs", "glued_value"]

_GLUED: dict[str, Any] = {}
_NAME = re.compile(r"[A-Za-z_]\w*\Z")
_FORMAT_TYPES_INT = set("bcdoxX")
_FORMAT_TYPES_FLOAT = set("eEfFgGn%")


class Shown(str):
    """A number as the text shows it: a ``str`` that Jupyter displays without quotes."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's text/plain
        printer.text(str(self))


def _plain(value: Any) -> Any:
    """NumPy and 0-d torch scalars become Python numbers (so they format and store cleanly)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.shape == ():
        return value.item()
    if type(value).__module__.startswith("torch") and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def glue(name: str, value: Any, display: bool = False) -> None:
    """Keep ``value`` under ``name`` for the text (``glued("name")``) and the book's tests.

    Parameters
    ----------
    name:
        A Python identifier (``acc_once_80``), unique within the notebook.
    value:
        A number, a bool or a short string (NumPy and 0-d tensor scalars are converted to Python
        numbers). Gluing a name again replaces its value, as re-running a cell should.
    display:
        Show the value as the cell's output as well (myst-nb's ``glue`` option).

    The value is also recorded in the cell's outputs through ``myst_nb.glue`` when myst-nb is
    installed, which is where the course's tests and other notebooks find it.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"a glue name must be a Python identifier such as 'acc_80', got {name!r}.")
    value = _plain(value)
    if not isinstance(value, Number | str):
        raise TypeError(
            f"glue({name!r}, ...) needs a number, a bool or a string, got {type(value).__name__}; "
            "the text can only quote a single value (glue each number of a table separately).")
    if not isinstance(display, bool):
        raise TypeError(f"display must be True or False, got {display!r}.")
    _GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # a bare install without the book's tools: keep the value only
        if display:
            print(value)
        return
    myst_glue(name, value, display=display)


def forget() -> None:
    """Drop every glued value of this session (a fresh start, as after a kernel restart)."""
    _GLUED.clear()


def _split(spec: str) -> tuple[str | None, str, str | None]:
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"glued() needs 'name' or 'name:format', got {spec!r}.")
    doc = None
    if "::" in spec:
        doc, spec = spec.split("::", 1)
        if not doc.endswith(".ipynb"):
            raise ValueError(f"in 'other.ipynb::name', the notebook must end in .ipynb, got {doc!r}.")
    name, _, fmt = spec.partition(":")
    if not _NAME.match(name):
        raise ValueError(f"glued() needs 'name' or 'name:format' with a Python identifier as the "
                         f"name, got {spec!r}.")
    return doc, name, (fmt or None)


def glued_outputs(nb: dict) -> dict[str, Any]:
    """Every value a notebook (a dict read from its file) glued, from its saved outputs."""
    values: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            book = out.get("metadata", {}).get("scrapbook", {})
            if "name" not in book:
                continue
            text = out.get("data", {}).get(book.get("mime_prefix", "") + "text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            try:
                values[book["name"]] = ast.literal_eval(text)
            except (SyntaxError, ValueError):
                values[book["name"]] = text
    return values


def _from_notebook(doc: str, name: str) -> Any:
    path = Path(doc)
    if not path.exists():
        raise FileNotFoundError(
            f"glued() quotes {name!r} from {doc}, which is not next to this notebook (the path is "
            f"relative to the notebook's folder, where its kernel runs: {Path.cwd()}).")
    values = glued_outputs(json.loads(path.read_text(encoding="utf-8")))
    if name not in values:
        raise KeyError(f"{doc} glues no value named {name!r} in its committed outputs.")
    return values[name]


def _saved_notebook() -> Path | None:
    """The notebook this kernel runs for, when Jupyter says so (``JPY_SESSION_NAME``)."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        return None
    for path in (Path(name), Path.cwd() / Path(name).name):
        if path.is_file():
            return path
    return None


def glued_value(spec: str) -> Any:
    """The value glued under ``name`` (``spec`` as for :func:`glued`, a format is ignored).

    A name not glued yet in this session — the text quotes a result computed further down, and
    JupyterLab renders the text as *Run all* reaches it — is looked up in the notebook's saved
    outputs, the run the text was last rendered from.
    """
    doc, name, _ = _split(spec)
    if doc is not None:
        return _from_notebook(doc, name)
    if name in _GLUED:
        return _GLUED[name]
    saved = _saved_notebook()
    if saved is not None:
        try:
            return _from_notebook(str(saved), name)
        except KeyError:
            pass
    raise KeyError(f"nothing is glued under {name!r} yet: run the code cells of the notebook "
                   "(Run > Run All Cells) and render this text again.")


def _format(value: Any, fmt: str | None, spec: str) -> str:
    if fmt is None:
        return str(value)
    kind = fmt[-1]
    try:
        if kind in _FORMAT_TYPES_INT:
            value = int(value)
        elif kind in _FORMAT_TYPES_FLOAT:
            value = float(value)
        elif kind == "s":
            value = str(value)
        return format(value, fmt)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cannot format {value!r} with {fmt!r} (from glued({spec!r})): {err}") from None


def glued(spec: str) -> Shown:
    """The glued value ``spec`` names, formatted as the text shows it.

    ``spec`` is ``"name"``, ``"name:format"`` (a Python format specification ending in its type,
    ``.1f``, ``,.0f``, ``+.2f``, ``d``, ``s``), or ``"other.ipynb::name:format"`` for a value of
    another notebook.

    Raises ``KeyError`` if nothing is glued under the name in this session, ``ValueError`` for a
    malformed ``spec`` or a format that does not fit the value.
    """
    _, _, fmt = _split(spec)
    return Shown(_format(glued_value(spec), fmt, spec))
