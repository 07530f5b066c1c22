"""The numbers of the prose: glue(), glued() and what JupyterLab and the site show of them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from myst_nb.core.variables import format_plain_text

from dlimits import prose


@pytest.fixture(autouse=True)
def _fresh():
    prose.forget()
    yield
    prose.forget()


@pytest.mark.parametrize("value", [93.4567, 0.0449, -1.25, 12, 0, 2.5e-7, 1234567.891, True])
@pytest.mark.parametrize("fmt", [".1f", ".0f", "+.2f", ",.0f", ".2e", ".3g", "d", ".0%", "s", ""])
def test_glued_formats_as_the_sites_glue_role_did(value, fmt):
    """glued("name:fmt") shows exactly what myst-nb's {glue:text}`name:fmt` showed."""
    prose.glue("x", value)
    spec = "x" + (":" + fmt if fmt else "")
    try:
        expected = format_plain_text(repr(value), fmt or "s")
    except ValueError:
        with pytest.raises(ValueError, match="cannot format"):
            prose.glued(spec)
        return
    assert prose.glued(spec) == expected


def test_glued_is_shown_without_quotes():
    """Jupyter's text/plain of the result is the bare number (what jupyterlab-myst shows)."""
    from IPython.core.formatters import format_display_data

    prose.glue("acc", 93.44)
    shown = prose.glued("acc:.1f")
    assert isinstance(shown, str) and shown == "93.4"
    assert repr(shown) == "93.4"
    assert format_display_data(shown)[0]["text/plain"] == "93.4"


def test_glue_converts_numpy_and_tensor_scalars():
    prose.glue("a", np.float64(0.5))
    prose.glue("b", torch.tensor(3))
    prose.glue("c", np.array(2.25))
    assert type(prose.glued_value("a")) is float and prose.glued_value("b") == 3
    assert type(prose.glued_value("b")) is int and prose.glued_value("c") == 2.25


def test_gluing_again_replaces_the_value_as_a_rerun_does():
    prose.glue("n", 3)
    prose.glue("n", 5)
    assert prose.glued("n:d") == "5"


def test_glue_refuses_what_the_text_cannot_quote():
    with pytest.raises(ValueError, match="identifier"):
        prose.glue("my value", 1)
    with pytest.raises(ValueError, match="identifier"):
        prose.glue("", 1)
    with pytest.raises(TypeError, match="single value"):
        prose.glue("v", np.arange(3))
    with pytest.raises(TypeError, match="single value"):
        prose.glue("v", [1, 2])
    with pytest.raises(TypeError, match="display"):
        prose.glue("v", 1, display="no")


def test_glued_says_what_is_missing_or_malformed():
    with pytest.raises(KeyError, match="run the code cells of the notebook"):
        prose.glued("never_glued:.1f")
    prose.glue("v", "faster than")
    with pytest.raises(ValueError, match="cannot format 'faster than'"):
        prose.glued("v:.1f")
    for bad in ["", "  ", "1abc", "a b:.1f", None, 3]:
        with pytest.raises(ValueError, match="name"):
            prose.glued(bad)
    with pytest.raises(ValueError, match=".ipynb"):
        prose.glued("other.md::v")


def _saved(path, name: str, text: str) -> None:
    """A saved notebook whose one code cell glued ``name`` (as myst-nb stores it, display=False)."""
    prefix = "application/papermill.record/"
    output = {"output_type": "display_data",
              "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
              "data": {prefix + "text/plain": text}}
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [output]}]}))


def test_glued_quotes_another_notebook_from_its_committed_outputs(tmp_path, monkeypatch):
    _saved(tmp_path / "other.ipynb", "halve", "1234.5678")
    monkeypatch.chdir(tmp_path)
    assert prose.glued("other.ipynb::halve:,.1f") == "1,234.6"
    with pytest.raises(KeyError, match="no value named 'nothing'"):
        prose.glued("other.ipynb::nothing")
    with pytest.raises(FileNotFoundError, match="missing.ipynb"):
        prose.glued("missing.ipynb::halve")


def test_a_value_quoted_before_it_is_computed_comes_from_the_saved_notebook(tmp_path, monkeypatch):
    """JupyterLab renders the text as Run all reaches it; a value glued further down (the runtime
    in a chapter's first cell) is then the one of the notebook's saved run."""
    _saved(tmp_path / "chapter.ipynb", "nb_runtime", "27.6")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", "chapters/part9/chapter.ipynb")
    assert prose.glued("nb_runtime:.0f") == "28"
    prose.glue("nb_runtime", 31.2)  # once this run has glued it, this run's value
    assert prose.glued("nb_runtime:.0f") == "31"
    with pytest.raises(KeyError, match="nothing is glued under 'other'"):
        prose.glued("other")
    monkeypatch.delenv("JPY_SESSION_NAME")
    prose.forget()
    with pytest.raises(KeyError):
        prose.glued("nb_runtime")
