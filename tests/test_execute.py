"""booktools.execute: running a notebook stores the prose's inline results as JupyterLab does."""

from __future__ import annotations

import nbformat
import pytest

from booktools import execute, inline


def _notebook(tmp_path, markdown: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from dlimits.prose import glue, glued\n"
                                  "glue('acc', 93.456)\nglue('verdict', 'faster than')"),
        nbformat.v4.new_markdown_cell(markdown),
        nbformat.v4.new_markdown_cell("No numbers here."),
    ]
    nb.cells[2].metadata["user_expressions"] = [{"expression": "stale", "result": inline.ok("1")}]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


def test_execute_stores_what_the_kernel_evaluates_and_outputs_agree(tmp_path):
    path = _notebook(tmp_path, 'It was {eval}`glued("verdict")`, at {eval}`glued("acc:.1f")` %.')
    execute.execute(path)
    nb = nbformat.read(path, as_version=4)
    stored = inline.stored(nb.cells[1])
    assert [s["expression"] for s in stored] == ['glued("verdict")', 'glued("acc:.1f")']
    assert [s["result"]["data"]["text/plain"] for s in stored] == ["faster than", "93.5"]
    assert all(s["result"]["status"] == "ok" for s in stored)
    # the same results, recomputed without a kernel from the committed glue outputs
    assert inline.results_from_outputs(nb, nb.cells[1]) == stored
    assert "user_expressions" not in nb.cells[2].metadata  # a cell without expressions stores none
    assert nb.cells[0].execution_count == 1 and nb.cells[0].metadata["execution"]


def test_an_expression_that_fails_stops_the_run(tmp_path):
    path = _notebook(tmp_path, 'Missing: {eval}`glued("nothing:.1f")`.')
    with pytest.raises(execute.InlineExpressionError, match="nothing is glued under 'nothing'"):
        execute.execute(path)


def test_from_outputs_refuses_an_expression_it_cannot_recompute(tmp_path):
    path = _notebook(tmp_path, "Two: {eval}`1 + 1`.")
    with pytest.raises(ValueError, match="needs the notebook to be executed"):
        execute.fill_from_outputs(path)


def test_cli_refuses_what_is_not_a_notebook(tmp_path, capsys):
    with pytest.raises(SystemExit):
        execute.main([str(tmp_path / "missing.ipynb")])
    assert "is not a notebook file" in capsys.readouterr().err


def test_a_value_quoted_before_the_cell_that_computes_it_is_the_runs(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from dlimits.prose import glue, glued"),
                nbformat.v4.new_markdown_cell('Runs in {eval}`glued("t:.0f")` s.'),
                nbformat.v4.new_code_cell("glue('t', 41.7)")]
    path = tmp_path / "forward.ipynb"
    nbformat.write(nb, path)
    execute.execute(path)
    stored = inline.stored(nbformat.read(path, as_version=4).cells[1])
    assert stored[0]["result"]["data"]["text/plain"] == "42"
