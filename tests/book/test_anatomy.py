"""Every chapter notebook follows the anatomy of CONTRIBUTING.md.

These checks read the committed notebooks; they catch a chapter that ships without objectives,
hidden claim checks, exercises with solutions, references, or its own cost report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_anatomy(path):
    cells = _cells(path)
    markdown = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]

    assert _src(cells[0]).lstrip().startswith("# "), "the first cell must hold the chapter title"
    assert "Learning objectives" in markdown, "learning objectives admonition missing"
    assert "{glue:text}`nb_runtime" in markdown, "the measured runtime is not shown"
    assert re.search(r"Key takeaways", markdown), "key takeaways missing"
    assert "```{bibliography}" in markdown, "references section missing"
    assert "{glue" in markdown, "no number in the prose comes from the code"

    exercises = re.findall(r"```\{exercise\}", markdown)
    assert len(exercises) >= 5, f"only {len(exercises)} exercises (at least five required)"
    solutions = re.findall(r"```\{solution(?:-start)?\} (\S+)", markdown)
    labels = re.findall(r"```\{exercise\}[^\n]*\n:label: (\S+)", markdown)
    assert set(labels) <= set(solutions), f"exercises without a solution: {set(labels) - set(solutions)}"
    assert markdown.count("```{solution-start}") >= 2, "at least two code exercises are required"

    for cell in cells:
        text = _src(cell)
        if "{solution" in text:
            assert "solution" in _tags(cell), "solution cells must be tagged `solution`"
    code_solutions = [c for c in code if "solution" in _tags(c) and "remove-cell" not in _tags(c)]
    assert len(code_solutions) >= 2, "code exercises need solution-tagged code cells"

    checks = [c for c in code if "remove-cell" in _tags(c) and "assert" in _src(c)]
    assert checks, "no hidden check cell asserts the chapter's claims"

    last = code[-1]
    assert "cost_report" in _src(last) and "nb_runtime" in _src(last), \
        "the last code cell must report the notebook's cost"
    assert "nbval-ignore-output" in _tags(last)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_figure_has_a_caption_and_alt_text(path):
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        has_image = any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if not has_image or "solution" in _tags(cell):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        caption = meta.get("figure", {}).get("caption", "")
        alt = meta.get("image", {}).get("alt", "")
        assert len(caption) > 20, f"cell {i}: figure without a caption"
        assert len(alt) > 20, f"cell {i}: figure without alt text"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_data_tables_carry_a_source_on_every_row(path):
    import pandas as pd

    for csv in re.findall(r"assets/data/([\w-]+\.csv)", "\n".join(_src(c) for c in _cells(path))):
        table = pd.read_csv(ROOT / "assets" / "data" / csv)
        source_cols = [c for c in table.columns if "source" in c.lower()]
        assert source_cols, f"{csv} has no source column"
        missing = table[source_cols].isna().all(axis=1)
        assert not missing.any(), f"{csv}: rows without a source: {table.index[missing].tolist()}"
