"""The prose's inline expressions (``{eval}`...` ``) and their stored results.

MyST's inline expression ``{eval}`glued("acc:.1f")` `` is evaluated in the notebook's kernel by
``jupyterlab-myst`` whenever a reader renders the markdown cell; the results are kept in the
cell's metadata under ``user_expressions``, as a list of ``{"expression": ..., "result": ...}``
in the order the expressions appear (``result`` is the kernel's reply for that expression:
``{"status": "ok", "data": {"text/plain": "93.1"}, "metadata": {}}``). A notebook opened before it
is run shows those stored results, and the website is built from them.

This module finds the expressions of a cell and computes or checks their stored results:

* :func:`evaluate_in_kernel` — used by :mod:`booktools.execute` while a notebook runs;
* :func:`results_from_outputs` — the same results recomputed from the notebook's committed
  ``glue`` outputs, without a kernel (``python -m booktools.execute --from-outputs``, and the tests
  that prove the stored results are those of the committed run).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROLE = re.compile(r"\{eval\}`([^`]+)`")
_GLUED_CALL = re.compile(r"""glued\((["'])(.+?)\1\)\Z""")


def expressions(source: str) -> list[str]:
    """The inline expressions of a markdown cell's source, in order (repeats included)."""
    if not isinstance(source, str):
        raise TypeError(f"source must be the cell's text, got {type(source).__name__}.")
    return ROLE.findall(source)


def ok(text: str) -> dict:
    """A kernel's reply for an expression that evaluated to ``text`` (its text/plain)."""
    return {"status": "ok", "data": {"text/plain": text}, "metadata": {}}


def stored(cell: dict) -> list[dict]:
    """The ``user_expressions`` stored in a markdown cell's metadata (empty if none)."""
    return list(cell.get("metadata", {}).get("user_expressions", []) or [])


def glued_outputs(nb: dict) -> dict[str, Any]:
    """Every value a notebook glued, from its committed outputs: ``{name: value}``."""
    from dlimits.prose import glued_outputs as from_outputs

    return from_outputs(nb)


def results_from_outputs(nb: dict, cell: dict, notebook_dir=None) -> list[dict]:
    """The ``user_expressions`` a kernel would store for ``cell``, from committed outputs.

    Only ``glued("...")`` expressions can be recomputed this way; any other expression raises
    ``ValueError`` (execute the notebook instead). Values quoted from another notebook
    (``"other.ipynb::name"``) are read from that notebook, relative to ``notebook_dir``.
    """
    from dlimits import prose

    values = glued_outputs(nb)
    results = []
    for expr in expressions("".join(cell.get("source", ""))):
        match = _GLUED_CALL.match(expr.strip())
        if match is None:
            raise ValueError(f"only glued(\"...\") expressions can be filled in from the committed "
                             f"outputs; {expr!r} needs the notebook to be executed.")
        spec = match.group(2)
        doc, name, fmt = prose._split(spec)
        if doc is not None:
            if notebook_dir is None:
                raise ValueError(f"{expr!r} quotes another notebook: pass notebook_dir.")
            from . import notebooks

            other_values = glued_outputs(notebooks.read(Path(notebook_dir) / doc))
            if name not in other_values:
                raise KeyError(f"{doc} glues no value named {name!r}.")
            value = other_values[name]
        else:
            if name not in values:
                raise KeyError(f"the notebook glues no value named {name!r} (quoted by {expr!r}).")
            value = values[name]
        results.append({"expression": expr, "result": ok(prose._format(value, fmt, spec))})
    return results
