"""The student edition: questions without answers, starters that fail their checks, solutions
that pass them.

* The edition itself (``booktools.student``) is built for every notebook and inspected: no output,
  no solution, no call of ``claim`` however it is written (``claim(...)``, ``dlimits.claim(...)``,
  an alias), every starter raising ``NotImplementedError`` and followed by
  its check, code that parses.
* In the book's notebooks, each check cell (tagged ``exercise-check``, hidden on the site) runs
  after its solution and says "passed"; nbval re-runs it, so a check that stops passing on the
  solution fails the suite.
* That a check says "not yet" on its starter, and that a notebook runs to the end with its
  starters in place, is proved where the notebooks are executed anyway: the reader-edit test
  (``tests/test_reader_edits.py``) inserts each starter and its check before the solution, and
  here one whole student notebook, the quickest to run, is executed as a student would.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from booktools import student

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / "intro.ipynb", *sorted(
    p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)]
CHAPTERS = NOTEBOOKS[1:]
MIN_STARTERS = 2
#: chapters whose code exercises do not have starters and checks yet (the list may only shrink)
WITHOUT_STARTERS: set[str] = set()


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _starters(nb) -> list[int]:
    return [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
            and "solution" in _tags(c) and "starter" in c["metadata"].get("dlimits", {})]


def claim_calls(tree: ast.AST, aliases: set[str]) -> list[ast.Call]:
    """Every call of ``claim`` in ``tree``: a name ``claim`` or an alias of it (imported with
    ``as`` or re-bound with ``=``), or any attribute ``.claim``. Written apart from
    ``booktools.student`` so that the test does not trust the code it tests."""
    names = {"claim", *aliases}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == "claim" and a.asname)
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name | ast.Attribute)
              and getattr(node.value, "id", getattr(node.value, "attr", None)) in names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and ((isinstance(n.func, ast.Name) and n.func.id in names)
                 or (isinstance(n.func, ast.Attribute) and n.func.attr == "claim"))]


def notebook_aliases(nb) -> set[str]:
    """Names bound to ``claim`` anywhere in a notebook (an alias may be imported in one cell
    and used in another)."""
    aliases: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            aliases |= {a.asname or a.name for node in ast.walk(tree)
                        if isinstance(node, ast.ImportFrom) for a in node.names
                        if a.name == "claim"}
    return aliases


@pytest.mark.parametrize("source", [
    "claim(x, 's')", "dlimits.claim(x, 's')", "claims.claim(x, 's')", "print(claim(x, 's'))",
    "y = [claim(v, 's') for v in x]", "x = 1; claim(x, 's')",
    "from dlimits.claims import claim as c\nc(x, 's')", "say = dlimits.claim\nsay(x, 's')",
])
def test_the_scanner_sees_every_form_of_a_claim(source):
    assert claim_calls(ast.parse(source), set())


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> dict[Path, nbformat.NotebookNode]:
    out = tmp_path_factory.mktemp("student")
    written = student.build(NOTEBOOKS, out, ROOT)
    return {src: nbformat.read(dst, as_version=4) for src, dst in zip(NOTEBOOKS, written, strict=True)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_edition_has_no_answers(path, edition):
    nb = edition[path]
    for i, cell in enumerate(nb.cells):
        assert "solution" not in _tags(cell), f"cell {i} is a solution"
        assert "{solution" not in cell.source, f"cell {i} still holds a solution block"
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, f"cell {i} keeps its output"
        tree = ast.parse(cell.source)
        calls = claim_calls(tree, notebook_aliases(nb))
        assert not calls, f"cell {i} still states a claim: {ast.unparse(calls[0])[:120]!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_exercises_have_starters_and_checks(path, edition):
    book = json.loads(path.read_text())
    starters = _starters(book)
    if path.stem in WITHOUT_STARTERS:
        assert not starters, f"{path.stem} has starters now: remove it from WITHOUT_STARTERS"
        pytest.skip(f"{path.stem}: starters not written yet")
    assert len(starters) >= MIN_STARTERS, (
        f"{path.stem}: {len(starters)} code exercises with a starter, at least {MIN_STARTERS} needed")
    for i in starters:
        cells = book["cells"]
        after = next((c for c in cells[i + 1:] if c["cell_type"] == "code"), None)
        assert after is not None and "exercise-check" in _tags(after), (
            f"{path.stem} cell {i}: the next code cell after a solution with a starter must be its "
            "check (tagged exercise-check)")
        assert "remove-cell" in _tags(after), f"{path.stem}: a check cell is hidden on the site"
        assert "check(" in "".join(after["source"])
        text = "".join("".join(o.get("text", "")) for o in after.get("outputs", []))
        assert ": passed" in text, (
            f"{path.stem}: the check after solution cell {i} must say 'passed' on the solution, "
            f"it printed {text!r}")
    nb = edition[path]
    kinds = [("starter" if "starter" in _tags(c) else "check" if "exercise-check" in _tags(c)
              else "") for c in nb.cells]
    for i, kind in enumerate(kinds):
        if kind == "starter":
            cell = nb.cells[i]
            assert "raise NotImplementedError" in cell.source, f"starter {i} must raise"
            assert "raises-exception" in _tags(cell)
            assert kinds[i + 1] == "check", f"starter {i} must be followed by its check"
    assert kinds.count("starter") >= MIN_STARTERS


def test_a_student_notebook_runs_to_the_end(edition, monkeypatch):
    """The quickest chapter with starters, executed as a student would run it."""
    import nbclient

    with_starters = [p for p in CHAPTERS if _starters(json.loads(p.read_text()))]
    assert with_starters, "no chapter has starters yet"

    def runtime(p: Path) -> float:
        """Seconds the committed run took, from the timestamps nbconvert stores per cell."""
        from datetime import datetime

        total = 0.0
        for c in json.loads(p.read_text())["cells"]:
            stamps = c["metadata"].get("execution", {})
            if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
                start, end = (datetime.fromisoformat(stamps[k].replace("Z", "+00:00"))
                              for k in ("iopub.execute_input", "shell.execute_reply"))
                total += (end - start).total_seconds()
        return total

    path = min(with_starters, key=runtime)
    nb = edition[path]
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises if any cell other than a starter fails
    for cell in nb.cells:
        out = "".join(o.get("text", "") for o in cell.get("outputs", []))
        if "starter" in _tags(cell):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert errors and errors[0].ename == "NotImplementedError", (
                f"a starter should stop at NotImplementedError, not {errors[0].ename if errors else 'nothing'}")
        if "exercise-check" in _tags(cell):
            assert ": not yet" in out, f"a check must fail on its starter; it printed {out!r}"


def test_strip_claims_keeps_code_runnable():
    src = ("a = 1\n"
           "for k in range(2):\n"
           "    claim(k >= 0, 'non-negative', k=k)\n"
           "if a:\n"
           "    b = 2\n"
           "    claim(b > a,\n"
           "          'b is larger', b=b)\n"
           "ok = claim(a == 1, 'an assignment holding a claim goes too')\n")
    out = student.strip_claims(src)
    assert "'non-negative'" not in out and "'b is larger'" not in out
    assert "    pass" in out and "b = 2" in out and "ok = claim" not in out
    compile(out, "<cell>", "exec")
    with pytest.raises(ValueError, match="does not parse"):
        student.strip_claims("def broken(:\n")
