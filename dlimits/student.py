"""Build the student edition of the course's notebooks (``make student``).

The book's notebooks carry everything: solutions, the hidden claim checks that keep the text
honest, and the outputs of a full run. A student needs the questions without the answers. For
each notebook this module

* removes every cell tagged ``solution`` (nbconvert's ``TagRemovePreprocessor``), except that a
  solution cell whose metadata holds a starter (``metadata.dlimits.starter``) is replaced by that
  starter: the task, the names to define and ``raise NotImplementedError`` where the student
  writes code, tagged ``raises-exception`` so that *Run all* goes on past it;
* keeps the exercise's check cell (tagged ``exercise-check``, hidden on the website), which
  tells the student "passed" or what is still wrong (:func:`dlimits.exercises.check`);
* deletes every ``claim(...)`` statement — the book's hidden checks state the results a
  student is asked to predict — and drops cells left with nothing but comments;
* clears every output (nbconvert's ``ClearOutputPreprocessor``), so that a prediction comes
  before the result;
* writes each exercise's level and minutes (from ``backmatter/teaching.yml``, see
  :mod:`dlimits.teaching`) as the first line of the exercise, as the website shows them.

Run ``python -m dlimits.student OUTDIR NOTEBOOK...``; the Makefile also copies the ``dlimits``
package and the pinned requirements next to the notebooks.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

STARTER_TAG = "starter"
CHECK_TAG = "exercise-check"
SOLUTION_TAG = "solution"
#: tags whose meaning is the website's or the test suite's, not the student's
SITE_TAGS = {"remove-cell", "remove-input", "remove-output", "hide-input", "hide-output",
             "nbval-ignore-output", "nbval-skip"}


def _is_claim(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "claim")


def strip_claims(source: str) -> str:
    """Remove every ``claim(...)`` statement from ``source``, keeping the rest verbatim.

    A block (the body of an ``if``, a loop, a function) left empty gets ``pass``; the result is
    checked to parse.

    >>> print(strip_claims("x = 1\\nclaim(x > 0,\\n      'positive', x=x)\\ny = 2"))
    x = 1
    y = 2
    >>> print(strip_claims("if x:\\n    claim(x, 'x')\\ny = 2"))
    if x:
        pass
    y = 2
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"a code cell does not parse, so its claims cannot be removed: {err}") from err
    drop: set[int] = set()
    keep_as_pass: dict[int, str] = {}
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
                continue
            claims = [s for s in body if _is_claim(s)]
            for stmt in claims:
                drop.update(range(stmt.lineno - 1, stmt.end_lineno))
            if claims and len(claims) == len(body) and not isinstance(node, ast.Module):
                first = claims[0]
                keep_as_pass[first.lineno - 1] = " " * first.col_offset + "pass"
    lines = source.splitlines()
    out = [keep_as_pass.get(i, line) for i, line in enumerate(lines)
           if i not in drop or i in keep_as_pass]
    result = "\n".join(out).strip("\n")
    ast.parse(result)  # never hand a student code that does not parse
    return result


def _only_comments(source: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in source.splitlines())


_EXERCISE_HEAD = re.compile(r"(```\{exercise\}[^\n]*\n(?::[a-z-]+:[^\n]*\n)*?:label: (\S+)\n"
                            r"(?::[a-z-]+:[^\n]*\n)*)\n?")


def mark_levels(markdown: str, levels: dict[str, tuple[int, int]]) -> str:
    """Put ``Level n of 3 · about m min`` at the top of every exercise with a known label."""
    from .teaching import level_line

    def add(match: re.Match) -> str:
        label = match.group(2)
        if label not in levels:
            return match.group(0)
        return f"{match.group(1)}\n*{level_line(*levels[label])}*\n\n"

    return _EXERCISE_HEAD.sub(add, markdown)


def student_notebook(nb: nbformat.NotebookNode,
                     levels: dict[str, tuple[int, int]] | None = None) -> nbformat.NotebookNode:
    """Return the student edition of one notebook (the argument is not modified).

    ``levels`` maps exercise labels to (level, minutes), written at the top of each exercise.
    """
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        starter = cell.metadata.get("dlimits", {}).get("starter")
        if SOLUTION_TAG in tags:
            if starter is None:
                continue
            if cell.cell_type != "code":
                raise ValueError("a starter belongs on a code solution cell, not on a "
                                 f"{cell.cell_type} cell:\n{cell.source[:200]}")
            new = nbformat.v4.new_code_cell(starter.strip("\n"))
            new.metadata["tags"] = [STARTER_TAG, "raises-exception"]
            cells.append(new)
            continue
        if cell.cell_type == "code":
            if CHECK_TAG in tags:
                cell.metadata["tags"] = [CHECK_TAG]
                cells.append(cell)
                continue
            if "claim(" in cell.source:
                cell.source = strip_claims(cell.source)
                if _only_comments(cell.source):
                    continue
        if cell.cell_type == "markdown" and levels:
            cell.source = mark_levels(cell.source, levels)
        kept = [t for t in tags if t not in SITE_TAGS]
        if kept:
            cell.metadata["tags"] = kept
        else:
            cell.metadata.pop("tags", None)
        cells.append(cell)
    nb.cells = cells
    nb, _ = ClearOutputPreprocessor().preprocess(nb, {})
    # the solutions' markdown is removed above; this catches any tagged cell left over
    remover = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}, enabled=True)
    nb, _ = remover.preprocess(nb, {})
    return nb


def build(notebooks: list[Path], outdir: Path, root: Path) -> list[Path]:
    """Write the student edition of each notebook under ``outdir``, keeping paths below ``root``."""
    from . import teaching

    levels = teaching.exercise_levels() if teaching.DATA.exists() else {}
    written = []
    for path in notebooks:
        path = Path(path)
        target = Path(outdir) / path.resolve().relative_to(Path(root).resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(path, as_version=4)
        nbformat.write(student_notebook(nb, levels), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("notebooks", type=Path, nargs="+")
    parser.add_argument("--root", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    for path in build(args.notebooks, args.outdir, args.root):
        print(f"  {path}")


if __name__ == "__main__":
    main()
