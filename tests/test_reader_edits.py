"""A reader's edit never stops *Run all*.

Cells meant for editing carry the tag ``reader-edit`` and, in their metadata, a realistic edit
and the claims it is expected to break::

    "metadata": {"tags": ["reader-edit"],
                 "dlimits": {"edits": [{"find": "\\"pue\\": 1.1", "replace": "\\"pue\\": 1.6"}],
                             "expect_notes": ["within a few per cent"]}}

For each notebook this test applies all of its edits to a copy, executes the copy to the end as a
reader would (``DLIMITS_STRICT=0``), and asserts that no cell raised and that a note appears for
every claim the edits were expected to break. The same run places each code exercise's starter
(see ``booktools.student``) and its check before the solution, and asserts that the starter stops
at ``NotImplementedError`` without stopping the notebook and that its check says "not yet". One
run per notebook keeps the suite fast.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / "intro.ipynb", *sorted(
    p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)]
TAG = "reader-edit"
NOTE_MARK = "no longer holds"


def edit_cells(nb: dict) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(nb["cells"])
            if TAG in c.get("metadata", {}).get("tags", [])]


EDITABLE = [p for p in NOTEBOOKS if edit_cells(json.loads(p.read_text()))]


def test_the_course_invites_edits():
    assert len(EDITABLE) >= 3, "at least three notebooks should mark cells for a reader to edit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_marked_cells_carry_a_realistic_edit(path):
    nb = json.loads(path.read_text())
    for i, cell in edit_cells(nb):
        spec = cell["metadata"].get("dlimits", {})
        edits = spec.get("edits", [])
        assert edits, f"cell {i} is tagged {TAG} but its metadata has no dlimits.edits"
        source = "".join(cell["source"])
        for edit in edits:
            assert edit["find"] in source, f"cell {i}: the edit's text {edit['find']!r} is not in the cell"
            assert edit["find"] != edit["replace"], f"cell {i}: the edit changes nothing"
        assert isinstance(spec.get("expect_notes", []), list)


def _outputs_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append("".join(out["text"]))
        for mime in ("text/plain", "text/markdown"):
            if mime in out.get("data", {}):
                parts.append("".join(out["data"][mime]))
    return "\n".join(parts)


@pytest.mark.parametrize("path", EDITABLE, ids=lambda p: p.stem)
def test_an_edited_notebook_runs_to_the_end_and_notes_broken_claims(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    edited = copy.deepcopy(nb)
    expected: list[str] = []
    for _i, cell in edit_cells(edited):
        spec = cell.metadata["dlimits"]
        for edit in spec["edits"]:
            cell.source = cell.source.replace(edit["find"], edit["replace"])
        expected += spec.get("expect_notes", [])
    starters = _insert_starters(edited)
    for cell in edited.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    monkeypatch.setenv("DLIMITS_STRICT", "0")
    client = NotebookClient(edited, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError if any cell fails: the edit stopped Run all
    notes = "\n".join(_outputs_text(c) for c in edited.cells
                      if c.cell_type == "code" and NOTE_MARK in _outputs_text(c))
    for words in expected:
        assert words in notes, (
            f"the edit should break the claim containing {words!r} and a note should say so; "
            f"notes shown:\n{notes or '(none)'}")
    if not expected:
        assert not notes, f"the edit was not expected to break a claim, but:\n{notes}"
    for starter, check in starters:
        errors = [o for o in starter.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "NotImplementedError", (
            "a starter must stop at its NotImplementedError, not at "
            f"{errors[0].ename if errors else 'nothing'}:\n{starter.source[:200]}")
        assert ": not yet" in _outputs_text(check), (
            f"a check must fail on its starter; it printed {_outputs_text(check)!r}")


def _insert_starters(nb) -> list[tuple]:
    """Put each code exercise's starter and a copy of its check before the solution.

    The student edition replaces a solution by its starter; running both here proves, in the run
    this test makes anyway, that the starter fails its check and that *Run all* goes on past it.
    """
    import nbformat

    pairs, cells = [], []
    for i, cell in enumerate(nb.cells):
        starter = cell.metadata.get("dlimits", {}).get("starter")
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []) and starter:
            check = next(c for c in nb.cells[i + 1:] if c.cell_type == "code")
            assert "exercise-check" in check.metadata.get("tags", []), (
                f"cell {i}: a solution with a starter must be followed by its check cell")
            first = nbformat.v4.new_code_cell(starter)
            first.metadata["tags"] = ["starter", "raises-exception"]
            second = nbformat.v4.new_code_cell(check.source)
            cells += [first, second]
            pairs.append((first, second))
        cells.append(cell)
    nb.cells = cells
    return pairs
